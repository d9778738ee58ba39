//! The text form: byte-identical to torch 2.15's `str()` of the same objects.
//!
//! ```text
//! p_weight: PARAMETER target='weight'
//! b_running_mean: BUFFER target='running_mean' persistent=True
//! ```
//!
//! Python formats the target with an f-string inside single quotes, so it is written raw
//! (no escaping), and `persistent` as Python's `True`/`False`.

use std::fmt::{self, Display, Formatter};

use crate::model::{ExportGraphSignature, InputSpec, OutputSpec};

fn write_target(f: &mut Formatter<'_>, target: Option<&str>) -> fmt::Result {
    match target {
        Some(t) => write!(f, " target='{t}'"),
        None => Ok(()),
    }
}

impl Display for InputSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.arg.name(), self.kind)?;
        write_target(f, self.target.as_deref())?;
        match self.persistent {
            Some(true) => f.write_str(" persistent=True"),
            Some(false) => f.write_str(" persistent=False"),
            None => Ok(()),
        }
    }
}

impl Display for OutputSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.arg.name(), self.kind)?;
        write_target(f, self.target.as_deref())
    }
}

/// Python: `f"\n# inputs\n{inputs}\n\n# outputs\n{outputs}\n"` with lines joined by `\n`.
impl Display for ExportGraphSignature {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        fn lines<T: Display>(f: &mut Formatter<'_>, specs: &[T]) -> fmt::Result {
            for (i, spec) in specs.iter().enumerate() {
                if i > 0 {
                    f.write_str("\n")?;
                }
                spec.fmt(f)?;
            }
            Ok(())
        }
        f.write_str("\n# inputs\n")?;
        lines(f, self.input_specs())?;
        f.write_str("\n\n# outputs\n")?;
        lines(f, self.output_specs())?;
        f.write_str("\n")
    }
}
