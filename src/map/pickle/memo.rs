//! The memo of both machines: the keys picklers write (0, 1, 2, ... in order) in a vector,
//! 4 bytes an entry for the reader, and any other key in a map.

use std::collections::HashMap;

use super::MAX_MEMO;

pub(super) struct Memo<T> {
    dense: Vec<T>,
    sparse: HashMap<u64, T>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self { dense: Vec::new(), sparse: HashMap::new() }
    }
}

impl<T> Memo<T> {
    /// The number of keys set: the key `MEMOIZE` uses next, as Python's `len(memo)`.
    pub(super) fn len(&self) -> usize {
        self.dense.len() + self.sparse.len()
    }

    pub(super) fn get(&self, key: u64) -> Option<&T> {
        match usize::try_from(key) {
            Ok(i) if i < self.dense.len() => self.dense.get(i),
            _ => self.sparse.get(&key),
        }
    }

    /// Sets `key`; an error past [`MAX_MEMO`] keys.
    pub(super) fn put(&mut self, key: u64, value: T) -> Result<(), String> {
        let i = usize::try_from(key).unwrap_or(usize::MAX);
        if i < self.dense.len() {
            self.dense[i] = value;
            return Ok(());
        }
        let new_key = i != self.dense.len() && !self.sparse.contains_key(&key);
        if (i == self.dense.len() || new_key) && self.len() >= MAX_MEMO {
            return Err(format!("more than {MAX_MEMO} memo entries"));
        }
        if i == self.dense.len() {
            // The key may have been set out of order before: it moves here.
            self.sparse.remove(&key);
            self.dense.push(value);
        } else {
            self.sparse.insert(key, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_order_and_out_of_order_read_back_their_last_value() {
        let mut m = Memo::default();
        m.put(5, 'a').unwrap();
        assert_eq!((m.get(5), m.len()), (Some(&'a'), 1));
        for k in 0..5 {
            m.put(k, 'b').unwrap();
        }
        assert_eq!((m.get(5), m.len()), (Some(&'a'), 6));
        m.put(5, 'c').unwrap();
        assert_eq!((m.get(5), m.len()), (Some(&'c'), 6));
        m.put(2, 'd').unwrap();
        m.put(u64::MAX, 'e').unwrap();
        assert_eq!((m.get(2), m.get(u64::MAX), m.get(7), m.len()), (Some(&'d'), Some(&'e'), None, 7));
    }
}
