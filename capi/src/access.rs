//! Counts, specs, and torch's accessors (`parameters`, `inputs_to_buffers`, ...).
#![allow(non_camel_case_types)]

use std::ffi::c_char;

use graph_signature::{ExportGraphSignature, NameMap, UserValue};

use crate::ffi::{self, Out};
use crate::signature::{entry, gsig_signature};
use crate::status::{
    gsig_status, guard, Failure, GSIG_ERR_INVALID_ARGUMENT, GSIG_ERR_OUT_OF_RANGE, GSIG_NOT_FOUND, GSIG_OK,
};
use crate::types::{self, gsig_argument_type, gsig_input_kind, gsig_output_kind, gsig_spec, gsig_str, gsig_user_value};

/// torch's accessors that are lists of names.
pub type gsig_string_list = u32;
/// `parameters`: targets of PARAMETER inputs, in order.
pub const GSIG_LIST_PARAMETERS: gsig_string_list = 1;
/// `buffers`: targets of BUFFER inputs, persistent or not.
pub const GSIG_LIST_BUFFERS: gsig_string_list = 2;
/// `non_persistent_buffers`.
pub const GSIG_LIST_NON_PERSISTENT_BUFFERS: gsig_string_list = 3;
/// `lifted_tensor_constants`: targets of CONSTANT_TENSOR inputs.
pub const GSIG_LIST_LIFTED_TENSOR_CONSTANTS: gsig_string_list = 4;
/// `lifted_custom_objs`: targets of CUSTOM_OBJ inputs.
pub const GSIG_LIST_LIFTED_CUSTOM_OBJS: gsig_string_list = 5;
/// `input_tokens`: names of TOKEN inputs.
pub const GSIG_LIST_INPUT_TOKENS: gsig_string_list = 6;
/// `output_tokens`: names of TOKEN outputs.
pub const GSIG_LIST_OUTPUT_TOKENS: gsig_string_list = 7;

/// torch's accessors that map a graph node name to a target, in insertion order (like a
/// Python dict: a repeated key keeps its first position and takes the last value).
pub type gsig_name_map = u32;
/// `inputs_to_parameters`
pub const GSIG_NAME_MAP_INPUTS_TO_PARAMETERS: gsig_name_map = 1;
/// `inputs_to_buffers`
pub const GSIG_NAME_MAP_INPUTS_TO_BUFFERS: gsig_name_map = 2;
/// `buffers_to_mutate`
pub const GSIG_NAME_MAP_BUFFERS_TO_MUTATE: gsig_name_map = 3;
/// `parameters_to_mutate`
pub const GSIG_NAME_MAP_PARAMETERS_TO_MUTATE: gsig_name_map = 4;
/// `user_inputs_to_mutate`
pub const GSIG_NAME_MAP_USER_INPUTS_TO_MUTATE: gsig_name_map = 5;
/// `inputs_to_lifted_tensor_constants`
pub const GSIG_NAME_MAP_INPUTS_TO_LIFTED_TENSOR_CONSTANTS: gsig_name_map = 6;
/// `inputs_to_lifted_custom_objs`
pub const GSIG_NAME_MAP_INPUTS_TO_LIFTED_CUSTOM_OBJS: gsig_name_map = 7;
/// `backward_signature.gradients_to_parameters` (empty without a backward signature).
pub const GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS: gsig_name_map = 8;
/// `backward_signature.gradients_to_user_inputs` (empty without a backward signature).
pub const GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS: gsig_name_map = 9;

/// torch's accessors whose entries are names or constant values.
pub type gsig_user_values = u32;
/// `user_inputs`
pub const GSIG_USER_INPUTS: gsig_user_values = 1;
/// `user_outputs` (USER_OUTPUT and LOSS_OUTPUT outputs, as in torch)
pub const GSIG_USER_OUTPUTS: gsig_user_values = 2;

fn string_list(sig: &ExportGraphSignature, which: gsig_string_list) -> Result<&[String], Failure> {
    Ok(match which {
        GSIG_LIST_PARAMETERS => sig.parameters(),
        GSIG_LIST_BUFFERS => sig.buffers(),
        GSIG_LIST_NON_PERSISTENT_BUFFERS => sig.non_persistent_buffers(),
        GSIG_LIST_LIFTED_TENSOR_CONSTANTS => sig.lifted_tensor_constants(),
        GSIG_LIST_LIFTED_CUSTOM_OBJS => sig.lifted_custom_objs(),
        GSIG_LIST_INPUT_TOKENS => sig.input_tokens(),
        GSIG_LIST_OUTPUT_TOKENS => sig.output_tokens(),
        other => return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_string_list {other}"))),
    })
}

/// A name map; `None` for the gradients of a signature without a backward signature.
fn name_map(sig: &ExportGraphSignature, which: gsig_name_map) -> Result<Option<&NameMap>, Failure> {
    Ok(match which {
        GSIG_NAME_MAP_INPUTS_TO_PARAMETERS => Some(sig.inputs_to_parameters()),
        GSIG_NAME_MAP_INPUTS_TO_BUFFERS => Some(sig.inputs_to_buffers()),
        GSIG_NAME_MAP_BUFFERS_TO_MUTATE => Some(sig.buffers_to_mutate()),
        GSIG_NAME_MAP_PARAMETERS_TO_MUTATE => Some(sig.parameters_to_mutate()),
        GSIG_NAME_MAP_USER_INPUTS_TO_MUTATE => Some(sig.user_inputs_to_mutate()),
        GSIG_NAME_MAP_INPUTS_TO_LIFTED_TENSOR_CONSTANTS => Some(sig.inputs_to_lifted_tensor_constants()),
        GSIG_NAME_MAP_INPUTS_TO_LIFTED_CUSTOM_OBJS => Some(sig.inputs_to_lifted_custom_objs()),
        GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS => sig.backward_signature().map(|b| &b.gradients_to_parameters),
        GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS => sig.backward_signature().map(|b| &b.gradients_to_user_inputs),
        other => return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_name_map {other}"))),
    })
}

fn user_values(sig: &ExportGraphSignature, which: gsig_user_values) -> Result<&[UserValue], Failure> {
    Ok(match which {
        GSIG_USER_INPUTS => sig.user_inputs(),
        GSIG_USER_OUTPUTS => sig.user_outputs(),
        other => return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_user_values {other}"))),
    })
}

fn at<'a, T>(items: &'a [T], index: usize, what: &str) -> Result<&'a T, Failure> {
    items.get(index).ok_or_else(|| {
        Failure::new(GSIG_ERR_OUT_OF_RANGE, format!("{what} index {index} is out of range (there are {})", items.len()))
    })
}

/// The number of input specs (graph inputs).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_input_count(sig: *const gsig_signature, count: *mut usize) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        unsafe { Out::new(count, "count")? }.write(entry.signature.input_specs().len());
        Ok(GSIG_OK)
    })
}

/// The number of output specs (graph outputs).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_output_count(sig: *const gsig_signature, count: *mut usize) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        unsafe { Out::new(count, "count")? }.write(entry.signature.output_specs().len());
        Ok(GSIG_OK)
    })
}

/// Input spec `index` (in graph-placeholder order): kind (`GSIG_INPUT_KIND_*`), argument,
/// target, persistent flag. Its strings are borrowed from the handle.
///
/// # Safety
///
/// `spec` is valid for a write of a `gsig_spec`.
#[no_mangle]
pub unsafe extern "C" fn gsig_input_spec(
    sig: *const gsig_signature,
    index: usize,
    spec: *mut gsig_spec,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(spec, "spec")? };
        out.write(gsig_spec::input(at(entry.signature.input_specs(), index, "input spec")?));
        Ok(GSIG_OK)
    })
}

/// Output spec `index` (in graph-output order): kind (`GSIG_OUTPUT_KIND_*`), argument,
/// target (`has_persistent` is always false). Its strings are borrowed from the handle.
///
/// # Safety
///
/// `spec` is valid for a write of a `gsig_spec`.
#[no_mangle]
pub unsafe extern "C" fn gsig_output_spec(
    sig: *const gsig_signature,
    index: usize,
    spec: *mut gsig_spec,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(spec, "spec")? };
        out.write(gsig_spec::output(at(entry.signature.output_specs(), index, "output spec")?));
        Ok(GSIG_OK)
    })
}

/// The length of a list accessor (`GSIG_LIST_*`).
///
/// # Safety
///
/// `len` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_string_list_len(
    sig: *const gsig_signature,
    which: gsig_string_list,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(len, "len")? };
        out.write(string_list(&entry.signature, which)?.len());
        Ok(GSIG_OK)
    })
}

/// Entry `index` of a list accessor, borrowed from the handle.
///
/// # Safety
///
/// `item` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_string_list_get(
    sig: *const gsig_signature,
    which: gsig_string_list,
    index: usize,
    item: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(item, "item")? };
        out.write(gsig_str::of(at(string_list(&entry.signature, which)?, index, "list")?));
        Ok(GSIG_OK)
    })
}

/// The number of entries of a name map (`GSIG_NAME_MAP_*`).
///
/// # Safety
///
/// `len` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_name_map_len(
    sig: *const gsig_signature,
    which: gsig_name_map,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(len, "len")? };
        out.write(name_map(&entry.signature, which)?.map_or(0, NameMap::len));
        Ok(GSIG_OK)
    })
}

/// Entry `index` of a name map, in insertion order: iteration. `key` and `value` are
/// borrowed from the handle.
///
/// # Safety
///
/// `key` and `value` are each valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_name_map_entry(
    sig: *const gsig_signature,
    which: gsig_name_map,
    index: usize,
    key: *mut gsig_str,
    value: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (key_out, value_out) = unsafe { (Out::new(key, "key")?, Out::new(value, "value")?) };
        let map = name_map(&entry.signature, which)?;
        let len = map.map_or(0, NameMap::len);
        let (k, v) = map.and_then(|m| m.get_index(index)).ok_or_else(|| {
            Failure::new(GSIG_ERR_OUT_OF_RANGE, format!("name map index {index} is out of range (there are {len})"))
        })?;
        key_out.write(gsig_str::of(k));
        value_out.write(gsig_str::of(v));
        Ok(GSIG_OK)
    })
}

/// Looks `key` (`key_len` UTF-8 bytes, not NUL-terminated; may be NULL when `key_len` is 0)
/// up in a name map, in O(1): `GSIG_OK` with the target in `value`, or `GSIG_NOT_FOUND`
/// (nothing written) when the map has no such key. E.g. `inputs_to_parameters["p_weight"]`.
///
/// # Safety
///
/// `key` is valid for reads of `key_len` bytes; `value` is valid for a write of a
/// `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_name_map_get(
    sig: *const gsig_signature,
    which: gsig_name_map,
    key: *const c_char,
    key_len: usize,
    value: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (key, out) = unsafe { (ffi::bytes(key.cast(), key_len, "key")?, Out::new(value, "value")?) };
        let key = ffi::utf8(key, "key")?;
        match name_map(&entry.signature, which)?.and_then(|m| m.get(key)) {
            Some(target) => {
                out.write(gsig_str::of(target));
                Ok(GSIG_OK)
            }
            None => Err(Failure::new(GSIG_NOT_FOUND, format!("no key {key:?} in the map"))),
        }
    })
}

/// The length of `user_inputs` or `user_outputs` (`GSIG_USER_INPUTS`, `GSIG_USER_OUTPUTS`).
///
/// # Safety
///
/// `len` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_user_values_len(
    sig: *const gsig_signature,
    which: gsig_user_values,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(len, "len")? };
        out.write(user_values(&entry.signature, which)?.len());
        Ok(GSIG_OK)
    })
}

/// Entry `index` of `user_inputs` or `user_outputs`: a name, or a constant's value (as
/// torch returns them). Strings are borrowed from the handle.
///
/// # Safety
///
/// `value` is valid for a write of a `gsig_user_value`.
#[no_mangle]
pub unsafe extern "C" fn gsig_user_values_get(
    sig: *const gsig_signature,
    which: gsig_user_values,
    index: usize,
    value: *mut gsig_user_value,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(value, "value")? };
        out.write(gsig_user_value::of(at(user_values(&entry.signature, which)?, index, "user value")?));
        Ok(GSIG_OK)
    })
}

/// torch's `backward_signature`: `present` is false (and `loss_output` empty) without a
/// LOSS_OUTPUT; else `loss_output` is the loss output's name, and the gradients are the name
/// maps `GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS` and `GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS`.
///
/// # Safety
///
/// `present` and `loss_output` are each valid for a write of their type.
#[no_mangle]
pub unsafe extern "C" fn gsig_backward_signature(
    sig: *const gsig_signature,
    present: *mut bool,
    loss_output: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (p, loss) = unsafe { (Out::new(present, "present")?, Out::new(loss_output, "loss_output")?) };
        let backward = entry.signature.backward_signature();
        p.write(backward.is_some());
        loss.write(gsig_str::of(backward.map_or("", |b| b.loss_output.as_str())));
        Ok(GSIG_OK)
    })
}

/// torch's `assertion_dep_token`, which torch 2.15 always answers with `None`: `present` is
/// false. (Should a later library answer otherwise, a later ABI minor adds its entries.)
///
/// # Safety
///
/// `present` is valid for a write of a `bool`.
#[no_mangle]
pub unsafe extern "C" fn gsig_assertion_dep_token(sig: *const gsig_signature, present: *mut bool) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(present, "present")? };
        out.write(entry.signature.assertion_dep_token().is_some());
        Ok(GSIG_OK)
    })
}

/// torch's name of an input kind, e.g. `"BUFFER"` for `GSIG_INPUT_KIND_BUFFER`, as a string
/// that is valid for the life of the process.
///
/// # Safety
///
/// `name` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_input_kind_name(kind: gsig_input_kind, name: *mut gsig_str) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(name, "name")? };
        let kind = types::input_kind_from(kind)
            .ok_or_else(|| Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_input_kind {kind}")))?;
        out.write(gsig_str::of(kind.torch_name()));
        Ok(GSIG_OK)
    })
}

/// torch's name of an output kind, e.g. `"BUFFER_MUTATION"`, valid for the life of
/// the process.
///
/// # Safety
///
/// `name` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_output_kind_name(kind: gsig_output_kind, name: *mut gsig_str) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(name, "name")? };
        let kind = types::output_kind_from(kind)
            .ok_or_else(|| Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_output_kind {kind}")))?;
        out.write(gsig_str::of(kind.torch_name()));
        Ok(GSIG_OK)
    })
}

/// torch's class name of an argument type, e.g. `"TensorArgument"`, valid for the life
/// of the process.
///
/// # Safety
///
/// `name` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_argument_type_name(arg_type: gsig_argument_type, name: *mut gsig_str) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(name, "name")? };
        let t = types::argument_type_from(arg_type)
            .ok_or_else(|| Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_argument_type {arg_type}")))?;
        out.write(gsig_str::of(t.torch_name()));
        Ok(GSIG_OK)
    })
}
