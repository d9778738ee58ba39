/*
 * gsig_check: the C API exercised from C99, printing what the CLI prints so that
 * scripts/capi-check.sh can compare the two byte for byte.
 *
 *   gsig_check json  [--model NAME] FILE...  every accessor, as `graphsig inspect --json FILE`
 *   gsig_check text  [--model NAME] FILE...  torch's text form built from the specs, as `graphsig inspect`
 *   gsig_check table [--model NAME] FILE...  the specs (with dtype and shape from the archive map for an
 *                                           archive), as `graphsig inspect --table` (no colour)
 *   gsig_check encode FORMAT [--target VERSION] [--lossy] FILE...
 *       the signature alone (schema 1.0), as `graphsig convert FILE - --to FORMAT --no-meta [--target ...]`
 *   gsig_check map [--strict] [--model NAME] FILE...
 *       the archive map from its getters, as `graphsig map --json [--strict] FILE`
 *   gsig_check map-encode FORMAT FILE...
 *       the program's signature with its metadata (schema 1.1), as `graphsig convert FILE - --to FORMAT`
 *   gsig_check errors FIXTURES_DIR LIBRARY_VERSION
 *       misuse and bad input give the documented status codes
 *
 * With several files, the outputs follow one another (as a loop over the CLI's would).
 *
 * Every call's status is checked; any unexpected one ends the program with exit status 1
 * and the library's message. Nothing here reimplements the library: the printing follows
 * the CLI's output formats, and the values all come from the API.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream, pthreads */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_signature.h"

static void fail(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fputs("gsig_check: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* Ends the program unless `status` is GSIG_OK. */
static void ok(gsig_status status, const char *what) {
    if (status != GSIG_OK) {
        fail("%s: %s: %s", what, gsig_status_name(status), gsig_last_error_message());
    }
}

#define OK(call) ok((call), #call)

static int str_eq(gsig_str a, gsig_str b) {
    return a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

static void put(FILE *out, gsig_str s) {
    fwrite(s.data, 1, s.len, out);
}

/* ---- JSON as serde_json's pretty printer writes it ---------------------------------- */

static void json_string(FILE *out, gsig_str s) {
    static const char hex[] = "0123456789abcdef";
    size_t i;
    fputc('"', out);
    for (i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.data[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (c < 0x20) {
                fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 0xF]);
            } else {
                fputc(c, out);
            }
        }
    }
    fputc('"', out);
}

/* A finite double in the shortest form that reads back to it, laid out as Rust's ryu
 * (what serde_json prints): 3.0, 0.001, 1e16, 1.5e-7, 5e-324. */
static void json_float(FILE *out, double f) {
    char buf[40], digits[20];
    int precision, exponent, n = 0, k, kk, i;
    const char *p;
    if (f == 0.0) {
        fputs(signbit(f) ? "-0.0" : "0.0", out);
        return;
    }
    for (precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*e", precision - 1, f);
        if (strtod(buf, NULL) == f) {
            break;
        }
    }
    p = buf;
    if (*p == '-') {
        fputc('-', out);
        p++;
    }
    for (; *p != 'e'; p++) {
        if (*p != '.') {
            digits[n++] = *p;
        }
    }
    exponent = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    k = exponent - (n - 1); /* value = digits * 10^k */
    kk = n + k;             /* 10^(kk-1) <= |value| < 10^kk */
    if (k >= 0 && kk <= 16) {
        fwrite(digits, 1, (size_t)n, out);
        for (i = 0; i < k; i++) fputc('0', out);
        fputs(".0", out);
    } else if (kk > 0 && kk <= 16) {
        fwrite(digits, 1, (size_t)kk, out);
        fputc('.', out);
        fwrite(digits + kk, 1, (size_t)(n - kk), out);
    } else if (kk > -5 && kk <= 0) {
        fputs("0.", out);
        for (i = 0; i < -kk; i++) fputc('0', out);
        fwrite(digits, 1, (size_t)n, out);
    } else if (n == 1) {
        fprintf(out, "%ce%d", digits[0], kk - 1);
    } else {
        fprintf(out, "%c.", digits[0]);
        fwrite(digits + 1, 1, (size_t)(n - 1), out);
        fprintf(out, "e%d", kk - 1);
    }
}

static void json_constant(FILE *out, const gsig_constant *c) {
    switch (c->type) {
    case GSIG_CONSTANT_NONE: fputs("null", out); break;
    case GSIG_CONSTANT_INT: fprintf(out, "%lld", (long long)c->integer); break;
    case GSIG_CONSTANT_BOOL: fputs(c->boolean ? "true" : "false", out); break;
    case GSIG_CONSTANT_STRING: json_string(out, c->string); break;
    case GSIG_CONSTANT_FLOAT:
        if (isnan(c->floating)) {
            fputs("\"NaN\"", out);
        } else if (isinf(c->floating)) {
            fputs(c->floating > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
        } else {
            json_float(out, c->floating);
        }
        break;
    default: fail("unknown constant type %u", (unsigned)c->type);
    }
}

static const struct { gsig_string_list which; const char *name; } LISTS[] = {
    {GSIG_LIST_PARAMETERS, "parameters"},
    {GSIG_LIST_BUFFERS, "buffers"},
    {GSIG_LIST_NON_PERSISTENT_BUFFERS, "non_persistent_buffers"},
    {GSIG_LIST_LIFTED_TENSOR_CONSTANTS, "lifted_tensor_constants"},
    {GSIG_LIST_LIFTED_CUSTOM_OBJS, "lifted_custom_objs"},
};

static const struct { gsig_name_map which; const char *name; } MAPS[] = {
    {GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, "inputs_to_parameters"},
    {GSIG_NAME_MAP_INPUTS_TO_BUFFERS, "inputs_to_buffers"},
    {GSIG_NAME_MAP_BUFFERS_TO_MUTATE, "buffers_to_mutate"},
    {GSIG_NAME_MAP_PARAMETERS_TO_MUTATE, "parameters_to_mutate"},
    {GSIG_NAME_MAP_USER_INPUTS_TO_MUTATE, "user_inputs_to_mutate"},
    {GSIG_NAME_MAP_INPUTS_TO_LIFTED_TENSOR_CONSTANTS, "inputs_to_lifted_tensor_constants"},
    {GSIG_NAME_MAP_INPUTS_TO_LIFTED_CUSTOM_OBJS, "inputs_to_lifted_custom_objs"},
};

static void json_list(FILE *out, gsig_signature *sig, gsig_string_list which, const char *name) {
    size_t n, i;
    gsig_str item;
    OK(gsig_string_list_len(sig, which, &n));
    fprintf(out, "  \"%s\": [", name);
    for (i = 0; i < n; i++) {
        OK(gsig_string_list_get(sig, which, i, &item));
        fputs(i ? ",\n    " : "\n    ", out);
        json_string(out, item);
    }
    fputs(n ? "\n  ],\n" : "],\n", out);
}

static void json_values(FILE *out, gsig_signature *sig, gsig_user_values which, const char *name) {
    size_t n, i;
    gsig_user_value v;
    OK(gsig_user_values_len(sig, which, &n));
    fprintf(out, "  \"%s\": [", name);
    for (i = 0; i < n; i++) {
        OK(gsig_user_values_get(sig, which, i, &v));
        fputs(i ? ",\n    " : "\n    ", out);
        if (v.type == GSIG_USER_VALUE_NAME) {
            json_string(out, v.name);
        } else if (v.type == GSIG_USER_VALUE_CONSTANT) {
            json_constant(out, &v.constant);
        } else {
            fail("unknown user value type %u", (unsigned)v.type);
        }
    }
    fputs(n ? "\n  ],\n" : "],\n", out);
}

/* A name map, iterated; each key is also looked up and must give the value iterated. */
static void json_map(FILE *out, gsig_signature *sig, gsig_name_map which, const char *name, const char *indent,
                     int last) {
    size_t n, i;
    gsig_str key, value, looked_up;
    OK(gsig_name_map_len(sig, which, &n));
    fprintf(out, "%s\"%s\": {", indent, name);
    for (i = 0; i < n; i++) {
        OK(gsig_name_map_entry(sig, which, i, &key, &value));
        OK(gsig_name_map_get(sig, which, key.data, key.len, &looked_up));
        if (!str_eq(value, looked_up)) {
            fail("%s: the lookup of entry %zu gives another value than iteration", name, i);
        }
        fprintf(out, i ? ",\n%s  " : "\n%s  ", indent);
        json_string(out, key);
        fputs(": ", out);
        json_string(out, value);
    }
    if (n) {
        fprintf(out, "\n%s}", indent);
    } else {
        fputc('}', out);
    }
    fputs(last ? "\n" : ",\n", out);
}

static void print_json(FILE *out, gsig_signature *sig) {
    size_t i;
    bool present;
    gsig_str loss;
    fputs("{\n", out);
    for (i = 0; i < sizeof LISTS / sizeof LISTS[0]; i++) {
        json_list(out, sig, LISTS[i].which, LISTS[i].name);
    }
    json_values(out, sig, GSIG_USER_INPUTS, "user_inputs");
    json_values(out, sig, GSIG_USER_OUTPUTS, "user_outputs");
    for (i = 0; i < sizeof MAPS / sizeof MAPS[0]; i++) {
        json_map(out, sig, MAPS[i].which, MAPS[i].name, "  ", 0);
    }
    json_list(out, sig, GSIG_LIST_INPUT_TOKENS, "input_tokens");
    json_list(out, sig, GSIG_LIST_OUTPUT_TOKENS, "output_tokens");
    OK(gsig_assertion_dep_token(sig, &present));
    if (present) {
        fail("assertion_dep_token is present: this program does not print it");
    }
    fputs("  \"assertion_dep_token\": null,\n", out);
    OK(gsig_backward_signature(sig, &present, &loss));
    if (present) {
        fputs("  \"backward_signature\": {\n", out);
        json_map(out, sig, GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS, "gradients_to_parameters", "    ", 0);
        json_map(out, sig, GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS, "gradients_to_user_inputs", "    ", 0);
        fputs("    \"loss_output\": ", out);
        json_string(out, loss);
        fputs("\n  }\n", out);
    } else {
        fputs("  \"backward_signature\": null\n", out);
    }
    fputs("}\n", out);
}

/* ---- the archive map, as `graphsig map --json` (serde_json's pretty printer) ---------- */

/* A JSON writer with serde_json's pretty layout: two spaces per level, "key": value, and
 * empty arrays and objects as [] and {}. */
struct jw {
    FILE *out;
    int depth;
    int count[32];
};

static void jw_newline(struct jw *w) {
    int i;
    fputc('\n', w->out);
    for (i = 0; i < w->depth; i++) fputs("  ", w->out);
}

static void jw_next(struct jw *w) {
    if (w->count[w->depth]++) fputc(',', w->out);
    jw_newline(w);
}

static void jw_open(struct jw *w, char c) {
    fputc(c, w->out);
    if (++w->depth >= 32) fail("JSON nested too deeply for this program");
    w->count[w->depth] = 0;
}

static void jw_close(struct jw *w, char c) {
    int items = w->count[w->depth];
    w->depth--;
    if (items) jw_newline(w);
    fputc(c, w->out);
}

static void jw_key(struct jw *w, const char *key) {
    jw_next(w);
    fprintf(w->out, "\"%s\": ", key);
}

static void jw_str(struct jw *w, const char *key, gsig_str value) {
    jw_key(w, key);
    json_string(w->out, value);
}

static void jw_cstr(struct jw *w, const char *key, const char *value) {
    jw_key(w, key);
    fprintf(w->out, "\"%s\"", value);
}

static void jw_opt_str(struct jw *w, const char *key, bool present, gsig_str value) {
    jw_key(w, key);
    if (present) {
        json_string(w->out, value);
    } else {
        fputs("null", w->out);
    }
}

static void jw_bool(struct jw *w, const char *key, bool value) {
    jw_key(w, key);
    fputs(value ? "true" : "false", w->out);
}

static void jw_int(struct jw *w, const char *key, long long value) {
    jw_key(w, key);
    fprintf(w->out, "%lld", value);
}

static void jw_uint(struct jw *w, const char *key, unsigned long long value) {
    jw_key(w, key);
    fprintf(w->out, "%llu", value);
}

/* A scalar as serde writes an f64, i64 or bool (a non-finite f64 is null). */
static void json_scalar(FILE *out, const gsig_scalar *s) {
    switch (s->type) {
    case GSIG_SCALAR_NONE: fputs("null", out); break;
    case GSIG_SCALAR_INT: fprintf(out, "%lld", (long long)s->integer); break;
    case GSIG_SCALAR_BOOL: fputs(s->boolean ? "true" : "false", out); break;
    case GSIG_SCALAR_FLOAT:
        if (isfinite(s->floating)) {
            json_float(out, s->floating);
        } else {
            fputs("null", out);
        }
        break;
    default: fail("unknown scalar type %u", (unsigned)s->type);
    }
}

/* A size, stride, offset or symbolic scalar: its value, or {"expr", "short", "hint"}. */
static void json_sym(struct jw *w, const gsig_sym *s) {
    if (!s->symbolic) {
        if (s->value.type == GSIG_SCALAR_NONE) fail("a known value without a value");
        json_scalar(w->out, &s->value);
        return;
    }
    jw_open(w, '{');
    jw_str(w, "expr", s->expr);
    jw_str(w, "short", s->short_form);
    jw_key(w, "hint");
    json_scalar(w->out, &s->hint);
    jw_close(w, '}');
}

typedef gsig_status (*dim_fn)(const gsig_archive_map *map, size_t index, size_t dim, gsig_sym *out);

static void json_tensor_meta(struct jw *w, gsig_archive_map *map, int input, size_t i) {
    gsig_tensor_meta t;
    gsig_sym sym;
    size_t d;
    dim_fn size = input ? gsig_archive_map_input_tensor_size : gsig_archive_map_output_tensor_size;
    dim_fn stride = input ? gsig_archive_map_input_tensor_stride : gsig_archive_map_output_tensor_stride;
    OK(input ? gsig_archive_map_input_tensor(map, i, &t) : gsig_archive_map_output_tensor(map, i, &t));
    jw_cstr(w, "type", "tensor");
    jw_str(w, "dtype", t.dtype);
    jw_key(w, "shape");
    jw_open(w, '[');
    for (d = 0; d < t.rank; d++) {
        OK(size(map, i, d, &sym));
        jw_next(w);
        json_sym(w, &sym);
    }
    if (size(map, i, t.rank, &sym) != GSIG_ERR_OUT_OF_RANGE) fail("a size past the rank was given");
    jw_close(w, ']');
    jw_key(w, "strides");
    jw_open(w, '[');
    for (d = 0; d < t.strides_len; d++) {
        OK(stride(map, i, d, &sym));
        jw_next(w);
        json_sym(w, &sym);
    }
    jw_close(w, ']');
    jw_key(w, "storage_offset");
    json_sym(w, &t.storage_offset);
    jw_str(w, "device", t.device);
    jw_str(w, "layout", t.layout);
    jw_bool(w, "requires_grad", t.requires_grad);
}

static void json_meta(struct jw *w, gsig_archive_map *map, int input, size_t i) {
    gsig_value_meta m;
    gsig_tensor_meta t;
    OK(input ? gsig_archive_map_input_meta(map, i, &m) : gsig_archive_map_output_meta(map, i, &m));
    jw_key(w, "meta");
    if (m.type != GSIG_META_TENSOR) {
        gsig_status st = input ? gsig_archive_map_input_tensor(map, i, &t) : gsig_archive_map_output_tensor(map, i, &t);
        if (st != GSIG_NOT_FOUND) fail("tensor metadata of a value that is not a tensor: %s", gsig_status_name(st));
    }
    if (m.type == GSIG_META_UNKNOWN) {
        fputs("null", w->out);
        return;
    }
    jw_open(w, '{');
    switch (m.type) {
    case GSIG_META_TENSOR: json_tensor_meta(w, map, input, i); break;
    case GSIG_META_SYM_INT:
    case GSIG_META_SYM_FLOAT:
    case GSIG_META_SYM_BOOL:
        jw_cstr(w, "type", m.type == GSIG_META_SYM_INT ? "sym_int" : m.type == GSIG_META_SYM_FLOAT ? "sym_float" : "sym_bool");
        jw_key(w, "value");
        json_sym(w, &m.value);
        break;
    case GSIG_META_CUSTOM_OBJ:
        jw_cstr(w, "type", "custom_obj");
        jw_str(w, "class_fqn", m.class_fqn);
        break;
    case GSIG_META_CONSTANT:
        jw_cstr(w, "type", "constant");
        jw_key(w, "value");
        json_constant(w->out, &m.constant);
        break;
    case GSIG_META_TOKEN: jw_cstr(w, "type", "token"); break;
    default: fail("unknown meta type %u", (unsigned)m.type);
    }
    jw_close(w, '}');
}

static gsig_str input_kind_str(uint32_t kind) {
    gsig_str name;
    OK(gsig_input_kind_name(kind, &name));
    return name;
}

static void json_input(struct jw *w, gsig_archive_map *map, size_t i) {
    gsig_input_binding b;
    static const char *from[] = {NULL, "payload", "caller", "constant", "custom_object", "token"};
    OK(gsig_archive_map_input(map, i, &b));
    if (b.from < GSIG_FROM_PAYLOAD || b.from > GSIG_FROM_TOKEN) fail("unknown source %u", (unsigned)b.from);
    jw_next(w);
    jw_open(w, '{');
    jw_uint(w, "index", i);
    jw_str(w, "name", b.name);
    jw_str(w, "kind", input_kind_str(b.kind));
    jw_key(w, "source");
    jw_open(w, '{');
    jw_cstr(w, "from", from[b.from]);
    switch (b.from) {
    case GSIG_FROM_PAYLOAD:
        jw_str(w, "target", b.target);
        jw_bool(w, "found", b.found);
        break;
    case GSIG_FROM_CALLER: jw_opt_str(w, "path", b.has_path, b.path); break;
    case GSIG_FROM_CONSTANT:
        jw_key(w, "value");
        json_constant(w->out, &b.constant);
        jw_opt_str(w, "path", b.has_path, b.path);
        break;
    case GSIG_FROM_CUSTOM_OBJECT:
        jw_str(w, "target", b.target);
        jw_opt_str(w, "class_fqn", b.has_class_fqn, b.class_fqn);
        jw_bool(w, "found", b.found);
        break;
    default: break;
    }
    jw_close(w, '}');
    json_meta(w, map, 1, i);
    jw_close(w, '}');
}

static void json_output(struct jw *w, gsig_archive_map *map, size_t i) {
    gsig_output_binding b;
    gsig_str kind;
    static const char *to[] = {NULL, "caller", "loss", "write_back", "gradient", "token"};
    OK(gsig_archive_map_output(map, i, &b));
    if (b.to < GSIG_TO_CALLER || b.to > GSIG_TO_TOKEN) fail("unknown destination %u", (unsigned)b.to);
    OK(gsig_output_kind_name(b.kind, &kind));
    jw_next(w);
    jw_open(w, '{');
    jw_uint(w, "index", i);
    jw_str(w, "name", b.name);
    jw_str(w, "kind", kind);
    jw_key(w, "destination");
    jw_open(w, '{');
    jw_cstr(w, "to", to[b.to]);
    switch (b.to) {
    case GSIG_TO_CALLER:
    case GSIG_TO_LOSS: jw_opt_str(w, "path", b.has_path, b.path); break;
    case GSIG_TO_WRITE_BACK:
    case GSIG_TO_GRADIENT:
        jw_str(w, b.to == GSIG_TO_WRITE_BACK ? "kind" : "of", input_kind_str(b.target_kind));
        jw_str(w, "target", b.target);
        break;
    default: break;
    }
    jw_close(w, '}');
    json_meta(w, map, 0, i);
    jw_close(w, '}');
}

static void json_storage(struct jw *w, const gsig_storage *s) {
    jw_open(w, '{');
    jw_str(w, "record", s->record);
    jw_opt_str(w, "member", s->has_member, s->member);
    jw_uint(w, "offset", (unsigned long long)s->offset);
    jw_uint(w, "length", (unsigned long long)s->length);
    jw_bool(w, "stored", s->stored);
    jw_close(w, '}');
}

static void json_payload(struct jw *w, gsig_archive_map *map, size_t i) {
    gsig_payload p;
    size_t d, found;
    int64_t v;
    OK(gsig_archive_map_payload(map, i, &p));
    jw_next(w);
    jw_open(w, '{');
    jw_str(w, "name", p.name);
    jw_cstr(w, "table", p.table == GSIG_TABLE_WEIGHTS ? "weights" : "constants");
    jw_bool(w, "is_param", p.is_param);
    jw_uint(w, "storage", p.storage);
    jw_cstr(w, "encoding", p.encoding == GSIG_ENCODING_RAW ? "raw" : "pickle");
    jw_str(w, "dtype", p.dtype);
    jw_key(w, "shape");
    jw_open(w, '[');
    for (d = 0; d < p.rank; d++) {
        OK(gsig_archive_map_payload_size(map, i, d, &v));
        jw_next(w);
        fprintf(w->out, "%lld", (long long)v);
    }
    jw_close(w, ']');
    jw_key(w, "strides");
    jw_open(w, '[');
    for (d = 0; d < p.strides_len; d++) {
        OK(gsig_archive_map_payload_stride(map, i, d, &v));
        jw_next(w);
        fprintf(w->out, "%lld", (long long)v);
    }
    jw_close(w, ']');
    jw_int(w, "storage_offset", (long long)p.storage_offset);
    jw_bool(w, "requires_grad", p.requires_grad);
    jw_close(w, '}');
    /* The lookup by name finds this payload or a later one of the same name. */
    OK(gsig_archive_map_payload_find(map, p.name.data, p.name.len, &found));
    if (found < i) fail("payload %zu: the lookup by name gives an earlier one", i);
}

static void print_map_json(FILE *out, gsig_archive_map *map, gsig_profile profile) {
    struct jw w;
    gsig_str s;
    gsig_file_kind layout;
    bool present;
    uint64_t major, minor;
    size_t n, i;
    w.out = out;
    w.depth = 0;
    w.count[0] = 0;
    jw_open(&w, '{');
    jw_int(&w, "map_version", 1);
    OK(gsig_archive_map_model(map, &s));
    jw_str(&w, "model", s);
    OK(gsig_archive_map_layout(map, &layout));
    jw_cstr(&w, "layout", layout == GSIG_FILE_PT2_LEGACY_ZIP ? "legacy-zip" : "pt2-archive");
    OK(gsig_archive_map_torch_schema_version(map, &present, &major, &minor));
    jw_key(&w, "torch_schema_version");
    if (present) {
        fprintf(out, "\"%llu.%llu\"", (unsigned long long)major, (unsigned long long)minor);
    } else {
        fputs("null", out);
    }
    OK(gsig_archive_map_torch_version(map, &present, &s));
    jw_opt_str(&w, "torch_version", present, s);

    jw_key(&w, "inputs");
    jw_open(&w, '[');
    OK(gsig_archive_map_input_count(map, &n));
    for (i = 0; i < n; i++) json_input(&w, map, i);
    jw_close(&w, ']');
    jw_key(&w, "outputs");
    jw_open(&w, '[');
    OK(gsig_archive_map_output_count(map, &n));
    for (i = 0; i < n; i++) json_output(&w, map, i);
    jw_close(&w, ']');

    jw_key(&w, "notes");
    jw_open(&w, '[');
    OK(gsig_archive_map_note_count(map, &n));
    for (i = 0; i < n; i++) {
        OK(gsig_archive_map_note(map, i, &s));
        jw_next(&w);
        json_string(out, s);
    }
    jw_close(&w, ']');

    jw_key(&w, "range_constraints");
    jw_open(&w, '[');
    OK(gsig_archive_map_range_constraint_count(map, &n));
    for (i = 0; i < n; i++) {
        gsig_range_constraint r;
        OK(gsig_archive_map_range_constraint(map, i, &r));
        jw_next(&w);
        jw_open(&w, '{');
        jw_str(&w, "symbol", r.symbol);
        jw_key(&w, "min");
        if (r.has_min) fprintf(out, "%lld", (long long)r.min); else fputs("null", out);
        jw_key(&w, "max");
        if (r.has_max) fprintf(out, "%lld", (long long)r.max); else fputs("null", out);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');

    jw_key(&w, "storages");
    jw_open(&w, '[');
    OK(gsig_archive_map_storage_count(map, &n));
    for (i = 0; i < n; i++) {
        gsig_storage st;
        OK(gsig_archive_map_storage(map, i, &st));
        jw_next(&w);
        json_storage(&w, &st);
    }
    jw_close(&w, ']');

    jw_key(&w, "tensors");
    jw_open(&w, '[');
    OK(gsig_archive_map_payload_count(map, &n));
    for (i = 0; i < n; i++) json_payload(&w, map, i);
    jw_close(&w, ']');

    jw_key(&w, "objects");
    jw_open(&w, '[');
    OK(gsig_archive_map_object_count(map, &n));
    for (i = 0; i < n; i++) {
        gsig_object_payload o;
        static const char *encodings[] = {NULL, "torch_script", "pickle", "in_constants_pickle"};
        size_t found;
        OK(gsig_archive_map_object(map, i, &o));
        if (o.encoding < GSIG_OBJECT_TORCH_SCRIPT || o.encoding > GSIG_OBJECT_IN_CONSTANTS_PICKLE) {
            fail("unknown object encoding %u", (unsigned)o.encoding);
        }
        OK(gsig_archive_map_object_find(map, o.name.data, o.name.len, &found));
        jw_next(&w);
        jw_open(&w, '{');
        jw_str(&w, "name", o.name);
        jw_key(&w, "storage");
        json_storage(&w, &o.storage);
        jw_cstr(&w, "encoding", encodings[o.encoding]);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');

    jw_key(&w, "checks");
    jw_open(&w, '[');
    OK(gsig_archive_map_finding_count(map, profile, &n));
    for (i = 0; i < n; i++) {
        gsig_finding f;
        OK(gsig_archive_map_finding(map, profile, i, &f));
        jw_next(&w);
        jw_open(&w, '{');
        jw_str(&w, "code", f.code);
        jw_cstr(&w, "severity", f.severity == GSIG_SEVERITY_ERROR ? "error" : "warning");
        jw_str(&w, "at", f.at);
        jw_str(&w, "message", f.message);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
}

/* ---- specs ---------------------------------------------------------------------------- */

static gsig_spec spec_at(gsig_signature *sig, int input, size_t i) {
    gsig_spec spec;
    if (input) {
        OK(gsig_input_spec(sig, i, &spec));
    } else {
        OK(gsig_output_spec(sig, i, &spec));
    }
    return spec;
}

static gsig_str kind_name(int input, uint32_t kind) {
    gsig_str name;
    if (input) {
        OK(gsig_input_kind_name(kind, &name));
    } else {
        OK(gsig_output_kind_name(kind, &name));
    }
    return name;
}

static int same_constant(const gsig_constant *a, const gsig_constant *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case GSIG_CONSTANT_INT: return a->integer == b->integer;
    case GSIG_CONSTANT_BOOL: return a->boolean == b->boolean;
    case GSIG_CONSTANT_STRING: return str_eq(a->string, b->string);
    case GSIG_CONSTANT_FLOAT: return memcmp(&a->floating, &b->floating, sizeof(double)) == 0;
    default: return 1;
    }
}

/* The specs' arguments agree with torch's user_inputs and user_outputs (which hold the
 * names, or the constants' values, of USER_INPUT specs and of USER_OUTPUT and LOSS_OUTPUT
 * specs, in order). */
static void check_user_values(gsig_signature *sig) {
    int input;
    for (input = 1; input >= 0; input--) {
        size_t n, i, j = 0, values;
        gsig_user_value v;
        OK(input ? gsig_input_count(sig, &n) : gsig_output_count(sig, &n));
        OK(gsig_user_values_len(sig, input ? GSIG_USER_INPUTS : GSIG_USER_OUTPUTS, &values));
        for (i = 0; i < n; i++) {
            gsig_spec spec = spec_at(sig, input, i);
            int user = input ? spec.kind == GSIG_INPUT_KIND_USER_INPUT
                             : spec.kind == GSIG_OUTPUT_KIND_USER_OUTPUT || spec.kind == GSIG_OUTPUT_KIND_LOSS_OUTPUT;
            if (!user) continue;
            if (j >= values) fail("more user specs than user values");
            OK(gsig_user_values_get(sig, input ? GSIG_USER_INPUTS : GSIG_USER_OUTPUTS, j++, &v));
            if (spec.arg.type == GSIG_ARGUMENT_CONSTANT) {
                if (v.type != GSIG_USER_VALUE_CONSTANT || !same_constant(&spec.arg.constant, &v.constant)) {
                    fail("%s spec %zu: its constant differs from the user value", input ? "input" : "output", i);
                }
            } else if (v.type != GSIG_USER_VALUE_NAME || !str_eq(spec.arg.name, v.name)) {
                fail("%s spec %zu: its name differs from the user value", input ? "input" : "output", i);
            }
            if (spec.arg.type == GSIG_ARGUMENT_CUSTOM_OBJ && spec.arg.class_fqn.len == 0) {
                fail("%s spec %zu: a custom object without a class", input ? "input" : "output", i);
            }
        }
        if (j != values) fail("%zu user values for %zu user specs", values, j);
    }
}

/* A buffer function called as documented: size query, then a one-byte-short buffer (refused,
 * untouched, with the size), then a buffer of the size. Returns malloc'd bytes. */
typedef gsig_status (*fill_fn)(gsig_signature *sig, const void *request, uint8_t *buf, size_t cap, size_t *len);

static uint8_t *filled(gsig_signature *sig, fill_fn fill, const void *request, size_t *out_len) {
    size_t len = 0, needed = 0, written = 0, i;
    uint8_t *buf;
    ok(fill(sig, request, NULL, 0, &len), "size query");
    buf = malloc(len + 1);
    if (!buf) fail("out of memory");
    if (len > 0) {
        memset(buf, 0xAA, len);
        if (fill(sig, request, buf, len - 1, &needed) != GSIG_ERR_BUFFER_TOO_SMALL || needed != len) {
            fail("a buffer one byte short was not refused with the size (%zu, %zu)", needed, len);
        }
        for (i = 0; i < len; i++) {
            if (buf[i] != 0xAA) fail("a buffer too small was written to");
        }
    }
    ok(fill(sig, request, buf, len + 1, &written), "fill");
    if (written != len) fail("wrote %zu bytes after a size query of %zu", written, len);
    *out_len = len;
    return buf;
}

static gsig_status fill_text(gsig_signature *sig, const void *request, uint8_t *buf, size_t cap, size_t *len) {
    (void)request;
    return gsig_signature_text(sig, (char *)buf, cap, len);
}

struct encode_request {
    gsig_format format;
    const char *target;
    bool lossy;
};

static gsig_status fill_encoding(gsig_signature *sig, const void *request, uint8_t *buf, size_t cap, size_t *len) {
    const struct encode_request *r = request;
    if (r->format == GSIG_FORMAT_TORCH_JSON && (r->target || r->lossy)) {
        return gsig_signature_encode_torch_json(sig, r->target, r->lossy, buf, cap, len);
    }
    return gsig_signature_encode(sig, r->format, buf, cap, len);
}

/* torch's text form, written from the specs (torch's `str()` of the signature). */
static void print_text_from_specs(FILE *out, gsig_signature *sig) {
    int input;
    fputs("\n# inputs\n", out);
    for (input = 1; input >= 0; input--) {
        size_t n, i;
        OK(input ? gsig_input_count(sig, &n) : gsig_output_count(sig, &n));
        for (i = 0; i < n; i++) {
            gsig_spec spec = spec_at(sig, input, i);
            if (i) fputc('\n', out);
            put(out, spec.arg.name);
            fputs(": ", out);
            put(out, kind_name(input, spec.kind));
            if (spec.has_target) {
                fputs(" target='", out);
                put(out, spec.target);
                fputc('\'', out);
            }
            if (spec.has_persistent) {
                fputs(spec.persistent ? " persistent=True" : " persistent=False", out);
            }
        }
        fputs(input ? "\n\n# outputs\n" : "\n", out);
    }
}

/* ---- the table of `inspect --table` ------------------------------------------------- */

static size_t width(const char *s) {
    size_t n = 0;
    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) n++; /* UTF-8 characters, as the CLI counts */
    }
    return n;
}

#define MAX_COLUMNS 8

static char *dup_str(gsig_str s) {
    char *out = malloc(s.len + 1);
    if (!out) fail("out of memory");
    memcpy(out, s.data, s.len);
    out[s.len] = '\0';
    return out;
}

static char *dup_c(const char *s) {
    gsig_str g;
    g.data = s;
    g.len = strlen(s);
    return dup_str(g);
}

static void print_row(FILE *out, char **cells, const size_t *widths, int columns) {
    /* Cells padded to their column's width, joined by two spaces, trailing spaces cut. */
    char line[4096];
    size_t at = 0;
    int c;
    for (c = 0; c < columns; c++) {
        size_t pad = c == columns - 1 ? 0 : widths[c] - width(cells[c]);
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%s%*s", c ? "  " : "", cells[c], (int)pad, "");
        if (at >= sizeof line) fail("a table line is too long for this program");
    }
    while (at > 0 && line[at - 1] == ' ') at--;
    fwrite(line, 1, at, out);
    fputc('\n', out);
}

/* The dtype and shape cells of `inspect --table` for a value, from the archive map. */
static void meta_cells(gsig_archive_map *map, int input, size_t i, char **dtype, char **shape) {
    gsig_value_meta m;
    gsig_tensor_meta t;
    gsig_sym sym;
    char *text = NULL;
    size_t text_len = 0, d;
    FILE *mem;
    OK(input ? gsig_archive_map_input_meta(map, i, &m) : gsig_archive_map_output_meta(map, i, &m));
    mem = open_memstream(&text, &text_len);
    if (!mem) fail("open_memstream failed");
    switch (m.type) {
    case GSIG_META_TENSOR:
        OK(input ? gsig_archive_map_input_tensor(map, i, &t) : gsig_archive_map_output_tensor(map, i, &t));
        *dtype = dup_str(t.dtype);
        fputc('[', mem);
        for (d = 0; d < t.rank; d++) {
            OK(input ? gsig_archive_map_input_tensor_size(map, i, d, &sym)
                     : gsig_archive_map_output_tensor_size(map, i, d, &sym));
            if (d) fputs(", ", mem);
            if (sym.symbolic) {
                put(mem, sym.short_form);
            } else {
                fprintf(mem, "%lld", (long long)sym.value.integer);
            }
        }
        fputc(']', mem);
        break;
    case GSIG_META_SYM_INT:
        *dtype = dup_c("SymInt");
        if (m.value.symbolic) {
            put(mem, m.value.short_form);
        } else {
            fprintf(mem, "%lld", (long long)m.value.value.integer);
        }
        break;
    case GSIG_META_SYM_FLOAT: *dtype = dup_c("SymFloat"); break;
    case GSIG_META_SYM_BOOL: *dtype = dup_c("SymBool"); break;
    case GSIG_META_CUSTOM_OBJ: *dtype = dup_str(m.class_fqn); break;
    default: *dtype = dup_c(""); break;
    }
    fclose(mem);
    *shape = text;
}

/* `map` (may be NULL): the archive's map, for the dtype and shape columns. */
static void print_table_part(FILE *out, gsig_signature *sig, gsig_archive_map *map, int input) {
    static const char *in_header[] = {"#", "name", "kind", "target", "persistent", "argument", "dtype", "shape"};
    static const char *out_header[] = {"#", "name", "kind", "target", "argument", "dtype", "shape"};
    const char **header = input ? in_header : out_header;
    int base = input ? 6 : 5, columns = base + (map ? 2 : 0), c;
    size_t n, i, widths[MAX_COLUMNS];
    char ***rows;
    OK(input ? gsig_input_count(sig, &n) : gsig_output_count(sig, &n));
    rows = calloc(n + 1, sizeof *rows);
    if (!rows) fail("out of memory");
    for (c = 0; c < columns; c++) widths[c] = width(header[c]);
    for (i = 0; i < n; i++) {
        gsig_spec spec = spec_at(sig, input, i);
        gsig_str type;
        char index[32], *arg;
        size_t len;
        rows[i] = calloc(MAX_COLUMNS, sizeof(char *));
        if (!rows[i]) fail("out of memory");
        snprintf(index, sizeof index, "%zu", i);
        OK(gsig_argument_type_name(spec.arg.type, &type));
        arg = dup_str(type);
        len = strlen(arg);
        if (len > 8 && strcmp(arg + len - 8, "Argument") == 0) arg[len - 8] = '\0';
        rows[i][0] = dup_c(index);
        rows[i][1] = dup_str(spec.arg.name);
        rows[i][2] = dup_str(kind_name(input, spec.kind));
        rows[i][3] = dup_str(spec.target);
        if (input) {
            rows[i][4] = dup_c(spec.has_persistent ? (spec.persistent ? "yes" : "no") : "");
            rows[i][5] = arg;
        } else {
            rows[i][4] = arg;
        }
        if (map) {
            size_t count;
            OK(input ? gsig_archive_map_input_count(map, &count) : gsig_archive_map_output_count(map, &count));
            if (i < count) {
                meta_cells(map, input, i, &rows[i][base], &rows[i][base + 1]);
            } else {
                rows[i][base] = dup_c("");
                rows[i][base + 1] = dup_c("");
            }
        }
        for (c = 0; c < columns; c++) {
            if (width(rows[i][c]) > widths[c]) widths[c] = width(rows[i][c]);
        }
    }
    fprintf(out, "%s (%zu)\n", input ? "inputs" : "\noutputs", n);
    print_row(out, (char **)header, widths, columns);
    for (i = 0; i < n; i++) {
        print_row(out, rows[i], widths, columns);
        for (c = 0; c < columns; c++) free(rows[i][c]);
        free(rows[i]);
    }
    free(rows);
}

/* ---- commands ----------------------------------------------------------------------- */

static gsig_signature *open_file(const char *path, const char *model) {
    gsig_signature *sig = NULL;
    OK(gsig_open_path(path, model, GSIG_SOURCE_AUTO, &sig));
    if (sig == NULL) fail("gsig_open_path gave GSIG_OK and no handle");
    return sig;
}

static gsig_format format_named(const char *name) {
    static const struct { const char *name; gsig_format format; } formats[] = {
        {"json", GSIG_FORMAT_JSON}, {"proto", GSIG_FORMAT_PROTO}, {"fbs", GSIG_FORMAT_FBS},
        {"bincode", GSIG_FORMAT_BINCODE}, {"torch-json", GSIG_FORMAT_TORCH_JSON},
    };
    size_t i;
    for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(formats[i].name, name) == 0) return formats[i].format;
    }
    fail("unknown format %s", name);
    return 0;
}

static void cmd_text(const char *path, const char *model) {
    gsig_signature *sig = open_file(path, model);
    size_t len;
    uint8_t *text = filled(sig, fill_text, NULL, &len);
    /* The specs, written as torch writes them, must be the library's own text form. */
    char *mine = NULL;
    size_t mine_len = 0;
    FILE *mem = open_memstream(&mine, &mine_len);
    if (!mem) fail("open_memstream failed");
    print_text_from_specs(mem, sig);
    fclose(mem);
    if (mine_len != len || memcmp(mine, text, len) != 0) {
        fail("%s: the text built from the specs differs from gsig_signature_text", path);
    }
    fwrite(mine, 1, mine_len, stdout);
    fputc('\n', stdout); /* print() adds a newline */
    free(mine);
    free(text);
    check_user_values(sig);
    OK(gsig_signature_free(sig));
}

static gsig_status fill_map_json(gsig_signature *handle, const void *request, uint8_t *buf, size_t cap, size_t *len) {
    /* `filled` is written for signatures; the map's handle travels through its pointer. */
    return gsig_archive_map_json((gsig_archive_map *)(void *)handle, *(const gsig_profile *)request, (char *)buf, cap,
                                 len);
}

/* The map from its getters, which must be the library's own JSON of it; then whether its
 * checks pass as graphsig's exit status says (verify). Returns 1 when a check failed. */
static int cmd_map(const char *path, const char *model, gsig_profile profile) {
    gsig_archive_map *map = NULL;
    char *mine = NULL;
    size_t mine_len = 0, len;
    uint8_t *json;
    FILE *mem;
    gsig_status verified;
    OK(gsig_archive_map_open_path(path, model, &map));
    if (map == NULL) fail("gsig_archive_map_open_path gave GSIG_OK and no handle");
    mem = open_memstream(&mine, &mine_len);
    if (!mem) fail("open_memstream failed");
    print_map_json(mem, map, profile);
    fclose(mem);
    json = filled((gsig_signature *)(void *)map, fill_map_json, &profile, &len);
    if (mine_len != len || memcmp(mine, json, len) != 0) {
        fail("%s: the JSON built from the getters differs from gsig_archive_map_json", path);
    }
    fwrite(mine, 1, mine_len, stdout);
    fputc('\n', stdout); /* graphsig ends its output with a newline */
    free(mine);
    free(json);
    verified = gsig_archive_map_verify(map, profile);
    if (verified != GSIG_OK && verified != GSIG_ERR_MAP_CHECK) fail("verify: %s", gsig_status_name(verified));
    OK(gsig_archive_map_free(map));
    return verified == GSIG_ERR_MAP_CHECK;
}

static void cmd_json(const char *path, const char *model) {
    gsig_signature *sig = open_file(path, model);
    check_user_values(sig);
    print_json(stdout, sig);
    OK(gsig_signature_free(sig));
}

static void cmd_table(const char *path, const char *model) {
    gsig_signature *sig = open_file(path, model);
    gsig_archive_map *map = NULL;
    gsig_file_kind kind;
    bool present;
    gsig_str name;
    /* As `graphsig inspect --table`: an archive's program metadata, when it can be mapped. */
    OK(gsig_signature_file_kind(sig, &kind, NULL));
    if (kind == GSIG_FILE_PT2_LEGACY_ZIP || kind == GSIG_FILE_PT2_ARCHIVE) {
        char *program;
        OK(gsig_signature_model(sig, &present, &name));
        program = dup_str(name);
        if (gsig_archive_map_open_path(path, present ? program : NULL, &map) != GSIG_OK) map = NULL;
        free(program);
    }
    print_table_part(stdout, sig, map, 1);
    print_table_part(stdout, sig, map, 0);
    if (map) OK(gsig_archive_map_free(map));
    OK(gsig_signature_free(sig));
}

static gsig_status fill_map_encoding(gsig_signature *handle, const void *request, uint8_t *buf, size_t cap,
                                     size_t *len) {
    return gsig_archive_map_encode((gsig_archive_map *)(void *)handle, *(const gsig_format *)request, buf, cap, len);
}

/* The map's signature with its values' metadata, in `format` (schema 1.1), as
 * `graphsig convert FILE - --to FORMAT` writes it; it must read back (from memory) to the
 * signature of the map. */
static void cmd_map_encode(const char *path, gsig_format format) {
    gsig_archive_map *map = NULL;
    gsig_signature *sig = NULL, *back = NULL;
    uint8_t *bytes, *text, *text_back;
    size_t len, text_len, text_back_len;
    OK(gsig_archive_map_open_path(path, NULL, &map));
    bytes = filled((gsig_signature *)(void *)map, fill_map_encoding, &format, &len);
    if (fwrite(bytes, 1, len, stdout) != len) fail("write failed");
    OK(gsig_decode(bytes, len, format, &back));
    free(bytes);
    OK(gsig_archive_map_signature(map, &sig));
    text = filled(sig, fill_text, NULL, &text_len);
    text_back = filled(back, fill_text, NULL, &text_back_len);
    if (text_len != text_back_len || memcmp(text, text_back, text_len) != 0) {
        fail("%s: the encoding reads back to another signature", path);
    }
    free(text);
    free(text_back);
    OK(gsig_signature_free(back));
    OK(gsig_signature_free(sig));
    OK(gsig_archive_map_free(map));
}

static void cmd_encode(const char *path, const struct encode_request *request) {
    gsig_signature *sig = open_file(path, NULL), *back = NULL;
    uint8_t *bytes, *text, *text_back;
    size_t len, text_len, text_back_len;
    bytes = filled(sig, fill_encoding, request, &len);
    if (fwrite(bytes, 1, len, stdout) != len) fail("write failed");
    /* What was written reads back (from memory) to the same signature, unless lossy. */
    OK(gsig_open_bytes(bytes, len, NULL, GSIG_SOURCE_AUTO, &back));
    free(bytes); /* the handle keeps nothing of the caller's bytes */
    text = filled(sig, fill_text, NULL, &text_len);
    text_back = filled(back, fill_text, NULL, &text_back_len);
    if (!request->lossy && (text_len != text_back_len || memcmp(text, text_back, text_len) != 0)) {
        fail("%s: the encoding reads back to another signature", path);
    }
    free(text);
    free(text_back);
    OK(gsig_signature_free(back));
    OK(gsig_signature_free(sig));
}

/* Every handle opened was freed (valgrind cannot tell: the library's registry keeps a
 * handle never freed reachable). */
static void no_live_handles(void) {
    size_t live = 1;
    OK(gsig_live_handle_count(&live));
    if (live != 0) fail("%zu handles were never freed", live);
}

/* ---- errors ------------------------------------------------------------------------- */

static int checks, failed;

static void expect(gsig_status got, gsig_status want, const char *what) {
    checks++;
    if (got != want) {
        failed++;
        fprintf(stderr, "FAIL %s: got %s, want %s (%s)\n", what, gsig_status_name(got), gsig_status_name(want),
                gsig_last_error_message());
    }
}

static void expect_true(int cond, const char *what) {
    checks++;
    if (!cond) {
        failed++;
        fprintf(stderr, "FAIL %s (last error: %s)\n", what, gsig_last_error_message());
    }
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *data;
    long size;
    if (!f) fail("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) fail("cannot read %s", path);
    fclose(f);
    *len = (size_t)size;
    return data;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = malloc(n);
    if (!out) fail("out of memory");
    snprintf(out, n, "%s/%s", dir, name);
    return out;
}

/* Opens `len` bytes; any status may come back but GSIG_OK must come with a handle, any
 * other with none and a message. */
static gsig_status open_any(const uint8_t *data, size_t len) {
    gsig_signature *sig = NULL;
    gsig_status status = gsig_open_bytes(data, len, NULL, GSIG_SOURCE_AUTO, &sig);
    if (status == GSIG_OK) {
        size_t n;
        expect_true(sig != NULL, "a handle comes with GSIG_OK");
        expect(gsig_input_count(sig, &n), GSIG_OK, "a handle from damaged bytes works");
        expect(gsig_signature_free(sig), GSIG_OK, "free");
    } else {
        checks++;
        if (sig != NULL || gsig_last_error_message()[0] == '\0') {
            failed++;
            fprintf(stderr, "FAIL a failed open wrote a handle or gave no message\n");
        }
    }
    return status;
}

struct thread_arg {
    gsig_signature *sig;
    int id, bad;
};

/* Many threads read one handle; each fails on purpose and must see its own message. */
static void *reader(void *p) {
    struct thread_arg *arg = p;
    int round;
    for (round = 0; round < 50; round++) {
        size_t n, len;
        gsig_spec spec;
        char want[64];
        if (gsig_input_count(arg->sig, &n) != GSIG_OK || gsig_input_spec(arg->sig, 0, &spec) != GSIG_OK ||
            gsig_signature_text(arg->sig, NULL, 0, &len) != GSIG_OK) {
            arg->bad++;
        }
        if (gsig_input_spec(arg->sig, 1000 + (size_t)arg->id, &spec) != GSIG_ERR_OUT_OF_RANGE) arg->bad++;
        snprintf(want, sizeof want, "input spec index %d is out of range", 1000 + arg->id);
        if (strncmp(gsig_last_error_message(), want, strlen(want)) != 0) arg->bad++;
    }
    return NULL;
}

static int cmd_errors(const char *fixtures, const char *version) {
    gsig_signature *sig = NULL, *freed = NULL, *other = NULL;
    size_t n = 12345, len, i;
    gsig_spec spec;
    gsig_str s, before;
    uint32_t major = 0, minor = 0;
    bool present;
    char *tinynet = join(fixtures, "../../examples/tinynet.pt2");
    char *multi = join(fixtures, "pt2/multi_model.pt2");
    char *param_mutation = join(fixtures, "archives/torch-2.15.0/param_mutation.pt2");
    uint8_t *archive, junk[4096];
    size_t archive_len;
    unsigned long long seed = 12345;
    long local = 0;

    /* Versions. */
    expect(gsig_abi_version(&major, &minor), GSIG_OK, "abi version");
    expect_true(major == GSIG_ABI_VERSION_MAJOR && minor == GSIG_ABI_VERSION_MINOR, "abi version = header's");
    expect(gsig_schema_version(&major, &minor), GSIG_OK, "schema version");
    expect_true(major == 1, "schema major 1");
    expect(gsig_library_version(&s), GSIG_OK, "library version");
    expect_true(s.len == strlen(version) && memcmp(s.data, version, s.len) == 0, "library version = graphsig's");

    /* NULL pointers. */
    expect(gsig_open_path(NULL, NULL, GSIG_SOURCE_AUTO, &sig), GSIG_ERR_NULL_POINTER, "open_path(NULL path)");
    expect(gsig_open_path(tinynet, NULL, GSIG_SOURCE_AUTO, NULL), GSIG_ERR_NULL_POINTER, "open_path(NULL out)");
    expect(gsig_open_bytes(NULL, 10, NULL, GSIG_SOURCE_AUTO, &sig), GSIG_ERR_NULL_POINTER, "open_bytes(NULL, 10)");
    expect_true(sig == NULL, "no handle written on failure");
    OK(gsig_open_path(tinynet, NULL, GSIG_SOURCE_AUTO, &sig));
    expect(gsig_input_count(sig, NULL), GSIG_ERR_NULL_POINTER, "input_count(NULL)");
    expect(gsig_input_spec(sig, 0, NULL), GSIG_ERR_NULL_POINTER, "input_spec(NULL)");
    expect(gsig_name_map_entry(sig, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, 0, NULL, &s), GSIG_ERR_NULL_POINTER,
           "name_map_entry(NULL key)");
    expect(gsig_signature_encode(sig, GSIG_FORMAT_JSON, NULL, 16, &len), GSIG_ERR_NULL_POINTER,
           "encode(NULL buffer of 16)");
    expect(gsig_signature_text(sig, NULL, 0, NULL), GSIG_ERR_NULL_POINTER, "text(NULL len)");
    expect(gsig_backward_signature(sig, &present, NULL), GSIG_ERR_NULL_POINTER, "backward(NULL loss)");

    /* Out of range, unknown values, lookups. */
    expect(gsig_input_count(sig, &n), GSIG_OK, "input_count");
    expect(gsig_input_spec(sig, n, &spec), GSIG_ERR_OUT_OF_RANGE, "input_spec(count)");
    expect(gsig_output_spec(sig, (size_t)-1, &spec), GSIG_ERR_OUT_OF_RANGE, "output_spec(SIZE_MAX)");
    expect(gsig_string_list_len(sig, 0, &n), GSIG_ERR_INVALID_ARGUMENT, "string_list 0");
    expect(gsig_name_map_len(sig, 99, &n), GSIG_ERR_INVALID_ARGUMENT, "name_map 99");
    expect(gsig_signature_encode(sig, 77, NULL, 0, &len), GSIG_ERR_INVALID_ARGUMENT, "format 77");
    expect(gsig_open_path(tinynet, NULL, 9, &other), GSIG_ERR_INVALID_ARGUMENT, "source 9");
    expect(gsig_name_map_get(sig, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, "p_proj_weight", 13, &s), GSIG_OK,
           "inputs_to_parameters[p_proj_weight]");
    expect_true(s.len == 11 && memcmp(s.data, "proj.weight", 11) == 0, "... is proj.weight");
    before = s;
    expect(gsig_name_map_get(sig, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, "b_steps", 7, &s), GSIG_NOT_FOUND,
           "inputs_to_parameters[b_steps]");
    expect_true(s.data == before.data && s.len == before.len, "a miss writes nothing");
    expect(gsig_name_map_get(sig, GSIG_NAME_MAP_INPUTS_TO_BUFFERS, "b_steps", 7, &s), GSIG_OK,
           "inputs_to_buffers[b_steps]");

    /* Buffers. */
    {
        uint8_t small[4] = {1, 2, 3, 4};
        expect(gsig_signature_encode(sig, GSIG_FORMAT_PROTO, small, sizeof small, &len), GSIG_ERR_BUFFER_TOO_SMALL,
               "encode into 4 bytes");
        expect_true(len > sizeof small && small[0] == 1 && small[3] == 4, "the size needed, the buffer untouched");
    }

    /* Handles: NULL, freed, double free, forged, another handle's neighbours. */
    expect(gsig_input_count(NULL, &n), GSIG_ERR_INVALID_HANDLE, "NULL handle");
    OK(gsig_open_path(tinynet, NULL, GSIG_SOURCE_AUTO, &freed));
    expect(gsig_signature_free(freed), GSIG_OK, "free");
    expect(gsig_input_count(freed, &n), GSIG_ERR_INVALID_HANDLE, "use after free");
    expect(gsig_signature_text(freed, NULL, 0, &len), GSIG_ERR_INVALID_HANDLE, "text after free");
    expect(gsig_signature_free(freed), GSIG_ERR_INVALID_HANDLE, "double free");
    expect(gsig_input_count((gsig_signature *)(void *)&local, &n), GSIG_ERR_INVALID_HANDLE, "a pointer to a long");
    expect(gsig_signature_free((gsig_signature *)(void *)&local), GSIG_ERR_INVALID_HANDLE, "free a pointer to a long");
    expect(gsig_input_count((gsig_signature *)(uintptr_t)((uintptr_t)sig + 16), &n), GSIG_ERR_INVALID_HANDLE, "handle + 16");
    expect(gsig_signature_free(NULL), GSIG_OK, "free(NULL)");
    expect(gsig_input_count(sig, &n), GSIG_OK, "the live handle still works");

    /* The last error stays until the next failure, and is per thread. */
    expect(gsig_input_spec(sig, 77, &spec), GSIG_ERR_OUT_OF_RANGE, "index 77");
    expect(gsig_input_count(sig, &n), GSIG_OK, "a success");
    expect_true(strstr(gsig_last_error_message(), "index 77") != NULL, "the message survives a success");
    expect_true(strcmp(gsig_status_name(-5), "GSIG_UNKNOWN_STATUS") == 0, "unknown status name");
    {
        pthread_t threads[4];
        struct thread_arg args[4];
        int t;
        for (t = 0; t < 4; t++) {
            args[t].sig = sig;
            args[t].id = t;
            args[t].bad = 0;
            if (pthread_create(&threads[t], NULL, reader, &args[t]) != 0) fail("pthread_create");
        }
        for (t = 0; t < 4; t++) {
            pthread_join(threads[t], NULL);
            expect_true(args[t].bad == 0, "a thread reads the shared handle and sees its own errors");
        }
    }

    /* Bad bytes. */
    expect(gsig_open_bytes((const uint8_t *)"", 0, NULL, GSIG_SOURCE_AUTO, &other), GSIG_ERR_UNRECOGNIZED, "0 bytes");
    expect(gsig_open_bytes((const uint8_t *)"hello", 5, NULL, GSIG_SOURCE_AUTO, &other), GSIG_ERR_UNRECOGNIZED,
           "text");
    expect(gsig_open_bytes((const uint8_t *)"{\"input_specs\": [}", 18, NULL, GSIG_SOURCE_AUTO, &other),
           GSIG_ERR_DECODE, "broken JSON");
    expect(gsig_decode((const uint8_t *)"{}", 2, GSIG_FORMAT_FBS, &other), GSIG_ERR_DECODE, "JSON as FlatBuffers");
    for (i = 0; i < sizeof junk; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        junk[i] = (uint8_t)(seed >> 33);
    }
    expect_true(open_any(junk, sizeof junk) != GSIG_OK, "random bytes");
    memcpy(junk, "PK\3\4", 4);
    expect_true(open_any(junk, sizeof junk) != GSIG_OK, "random bytes behind a zip magic");
    expect(gsig_open_path("/nonexistent/model.pt2", NULL, GSIG_SOURCE_AUTO, &other), GSIG_ERR_IO, "missing file");
    expect_true(strstr(gsig_last_error_message(), "/nonexistent/model.pt2") != NULL, "the message names the path");
    expect(gsig_open_path(fixtures, NULL, GSIG_SOURCE_AUTO, &other), GSIG_ERR_IO, "a folder");
    expect_true(other == NULL, "no handle after all these");

    /* A real archive, truncated and with bytes flipped: errors or a signature, never a crash
     * (run under valgrind, an invalid read would show here). */
    archive = read_file(tinynet, &archive_len);
    for (i = 0; i < archive_len; i += archive_len / 97 + 1) {
        gsig_status st = open_any(archive, i);
        expect_true(st != GSIG_OK, "a truncated archive does not open");
    }
    for (i = 0; i < archive_len; i += archive_len / 61 + 1) {
        archive[i] ^= 0x5A;
        (void)open_any(archive, archive_len);
        archive[i] ^= 0x5A;
    }
    expect(gsig_open_bytes(archive, archive_len, "nope", GSIG_SOURCE_AUTO, &other), GSIG_ERR_MODEL, "unknown model");
    free(archive);

    /* Model selection. */
    expect(gsig_open_path(multi, NULL, GSIG_SOURCE_AUTO, &other), GSIG_ERR_MODEL, "several programs, none named");
    expect_true(strstr(gsig_last_error_message(), "decoder, encoder") != NULL, "the message lists the programs");
    expect(gsig_open_path(multi, "encoder", GSIG_SOURCE_AUTO, &other), GSIG_OK, "the program named");
    expect(gsig_signature_model(other, &present, &s), GSIG_OK, "model name");
    expect_true(present && s.len == 7 && memcmp(s.data, "encoder", 7) == 0, "model is encoder");
    expect(gsig_signature_free(other), GSIG_OK, "free");
    expect(gsig_open_path(tinynet, NULL, GSIG_SOURCE_EMBEDDED, &other), GSIG_ERR_NO_SIGNATURE, "none embedded");

    /* What a torch release cannot hold. */
    OK(gsig_open_path(param_mutation, NULL, GSIG_SOURCE_AUTO, &other));
    expect(gsig_signature_encode_torch_json(other, "2.8", false, NULL, 0, &len), GSIG_ERR_UNREPRESENTABLE,
           "PARAMETER_MUTATION for torch 2.8");
    expect(gsig_signature_encode_torch_json(other, "2.9", false, NULL, 0, &len), GSIG_OK, "... for torch 2.9");
    expect(gsig_signature_encode_torch_json(other, "3.0", false, NULL, 0, &len), GSIG_ERR_UNSUPPORTED_VERSION,
           "torch 3.0");
    expect(gsig_signature_free(other), GSIG_OK, "free");

    /* The archive map (ABI 1.1): misuse, wrong handle types, bad input, checks. */
    {
        gsig_archive_map *map = NULL, *gone = NULL, *none = NULL;
        gsig_input_binding binding;
        gsig_tensor_meta tensor;
        gsig_sym sym;
        size_t index = 777;
        char *buffers = join(fixtures, "archives/torch-2.15.0/buffers.pt2");
        expect(gsig_archive_map_open_path(NULL, NULL, &map), GSIG_ERR_NULL_POINTER, "map open_path(NULL path)");
        expect(gsig_archive_map_open_path(tinynet, NULL, NULL), GSIG_ERR_NULL_POINTER, "map open_path(NULL out)");
        expect(gsig_archive_map_open_bytes(NULL, 3, NULL, &map), GSIG_ERR_NULL_POINTER, "map open_bytes(NULL, 3)");
        expect(gsig_archive_map_open_path("/nonexistent/model.pt2", NULL, &map), GSIG_ERR_IO, "map of a missing file");
        expect(gsig_archive_map_open_bytes((const uint8_t *)"hello", 5, NULL, &map), GSIG_ERR_DECODE, "map of text");
        expect(gsig_archive_map_open_path(multi, NULL, &map), GSIG_ERR_MODEL, "map of two programs, none named");
        expect_true(strstr(gsig_last_error_message(), "decoder, encoder") != NULL, "... the message lists them");
        expect_true(map == NULL, "no map handle written on failure");
        archive = read_file(tinynet, &archive_len);
        for (i = 0; i < archive_len; i += archive_len / 89 + 1) {
            gsig_archive_map *cut = NULL;
            gsig_status st = gsig_archive_map_open_bytes(archive, i, NULL, &cut);
            expect_true(st != GSIG_OK && cut == NULL, "a truncated archive does not map");
        }
        OK(gsig_archive_map_open_bytes(archive, archive_len, NULL, &map));
        free(archive); /* the map keeps nothing of the caller's bytes */
        expect(gsig_archive_map_input(map, 0, NULL), GSIG_ERR_NULL_POINTER, "map input(NULL)");
        expect(gsig_archive_map_input(map, 7, &binding), GSIG_ERR_OUT_OF_RANGE, "map input(count)");
        expect(gsig_archive_map_input(map, 0, &binding), GSIG_OK, "map input 0");
        expect_true(binding.from == GSIG_FROM_PAYLOAD && binding.found, "input 0 comes from a payload");
        expect(gsig_archive_map_payload_find(map, binding.target.data, binding.target.len, &index), GSIG_OK,
               "its payload is found");
        expect(gsig_archive_map_payload_find(map, "nope", 4, &index), GSIG_NOT_FOUND, "a missing payload");
        expect(gsig_archive_map_input_tensor(map, 0, &tensor), GSIG_OK, "input 0 is a tensor");
        expect(gsig_archive_map_input_tensor_size(map, 0, tensor.rank, &sym), GSIG_ERR_OUT_OF_RANGE, "size(rank)");
        expect(gsig_archive_map_json(map, 9, NULL, 0, &len), GSIG_ERR_INVALID_ARGUMENT, "profile 9");
        expect(gsig_archive_map_verify(map, GSIG_PROFILE_STRICT), GSIG_OK, "tinynet passes the strict checks");
        /* Handles of the other type, freed handles, NULL. */
        expect(gsig_archive_map_input_count((gsig_archive_map *)(void *)sig, &n), GSIG_ERR_INVALID_HANDLE,
               "a signature handle given as a map");
        expect_true(strstr(gsig_last_error_message(), "gsig_archive_map") != NULL, "... the message names the type");
        expect(gsig_archive_map_free((gsig_archive_map *)(void *)sig), GSIG_ERR_INVALID_HANDLE, "map_free(signature)");
        expect(gsig_input_count((gsig_signature *)(void *)map, &n), GSIG_ERR_INVALID_HANDLE, "a map given as a signature");
        expect(gsig_signature_free((gsig_signature *)(void *)map), GSIG_ERR_INVALID_HANDLE, "signature_free(map)");
        expect(gsig_archive_map_input_count(NULL, &n), GSIG_ERR_INVALID_HANDLE, "NULL map");
        expect(gsig_archive_map_free(NULL), GSIG_OK, "map_free(NULL)");
        OK(gsig_archive_map_open_path(tinynet, NULL, &gone));
        expect(gsig_archive_map_free(gone), GSIG_OK, "map_free");
        expect(gsig_archive_map_input_count(gone, &n), GSIG_ERR_INVALID_HANDLE, "map use after free");
        expect(gsig_archive_map_free(gone), GSIG_ERR_INVALID_HANDLE, "map double free");
        expect(gsig_archive_map_input_count((gsig_archive_map *)(void *)&local, &n), GSIG_ERR_INVALID_HANDLE,
               "a pointer to a long as a map");
        expect(gsig_archive_map_input_count(map, &n), GSIG_OK, "the live map still works");
        /* The map's signature is a signature handle of its own. */
        expect(gsig_archive_map_signature(map, &other), GSIG_OK, "the map's signature");
        expect(gsig_archive_map_free(map), GSIG_OK, "map_free");
        expect(gsig_input_count(other, &n), GSIG_OK, "... outlives the map");
        expect_true(n == 7, "... with the map's 7 inputs");
        expect(gsig_signature_free(other), GSIG_OK, "free");
        other = NULL;
        /* A failed check: buffers.pt2's inputs are not in torch's canonical order. */
        OK(gsig_archive_map_open_path(buffers, NULL, &none));
        expect(gsig_archive_map_verify(none, GSIG_PROFILE_DEFAULT), GSIG_OK, "buffers.pt2 passes the default checks");
        expect(gsig_archive_map_verify(none, GSIG_PROFILE_STRICT), GSIG_ERR_MAP_CHECK, "... not the strict ones");
        expect_true(strstr(gsig_last_error_message(), "[map-canonical-order]") != NULL, "... naming the rule");
        expect_true(strcmp(gsig_status_name(GSIG_ERR_MAP_CHECK), "GSIG_ERR_MAP_CHECK") == 0, "status name 40");
        expect(gsig_archive_map_free(none), GSIG_OK, "map_free");
        free(buffers);
    }

    expect(gsig_signature_free(sig), GSIG_OK, "free");
    free(tinynet);
    free(multi);
    free(param_mutation);
    OK(gsig_live_handle_count(&n));
    expect_true(n == 0, "every handle opened here was freed");
    printf("errors: %d checks, %d failed\n", checks, failed);
    return failed ? 1 : 0;
}

static int usage(void) {
    fputs("usage: gsig_check json|text|table [--model NAME] FILE...\n"
          "       gsig_check map [--strict] [--model NAME] FILE...\n"
          "       gsig_check map-encode FORMAT FILE...\n"
          "       gsig_check encode FORMAT [--target VERSION] [--lossy] FILE...\n"
          "       gsig_check errors FIXTURES_DIR LIBRARY_VERSION\n",
          stderr);
    return 2;
}

int main(int argc, char **argv) {
    const char *model = NULL;
    struct encode_request request;
    gsig_profile profile = GSIG_PROFILE_DEFAULT;
    int i = 2, checks_failed = 0;
    if (argc < 3) return usage();
    if (strcmp(argv[1], "errors") == 0) return argc == 4 ? cmd_errors(argv[2], argv[3]) : usage();
    request.target = NULL;
    request.lossy = false;
    request.format = 0;
    if (strcmp(argv[1], "encode") == 0 || strcmp(argv[1], "map-encode") == 0) request.format = format_named(argv[i++]);
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model = argv[++i];
        } else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
            request.target = argv[++i];
        } else if (strcmp(argv[i], "--lossy") == 0) {
            request.lossy = true;
        } else if (strcmp(argv[i], "--strict") == 0) {
            profile = GSIG_PROFILE_STRICT;
        } else {
            return usage();
        }
    }
    if (i == argc) return usage();
    for (; i < argc; i++) {
        if (strcmp(argv[1], "json") == 0) {
            cmd_json(argv[i], model);
        } else if (strcmp(argv[1], "text") == 0) {
            cmd_text(argv[i], model);
        } else if (strcmp(argv[1], "table") == 0) {
            cmd_table(argv[i], model);
        } else if (strcmp(argv[1], "encode") == 0) {
            cmd_encode(argv[i], &request);
        } else if (strcmp(argv[1], "map") == 0) {
            checks_failed |= cmd_map(argv[i], model, profile);
        } else if (strcmp(argv[1], "map-encode") == 0) {
            cmd_map_encode(argv[i], request.format);
        } else {
            return usage();
        }
    }
    no_live_handles();
    return checks_failed; /* as graphsig map: 1 when a check failed at error severity */
}
