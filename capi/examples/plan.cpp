// plan: open a .pt2's archive map through the C API, print its binding plan (where each
// graph input comes from, where each output goes), then map one weight's bytes into memory
// with POSIX mmap and print its first values, read as the map's dtype says.
//
//   plan FILE [TENSOR]
//
// TENSOR names a payload (a state-dict or constant name); without it, the weight of the
// first graph input that comes from a stored raw payload with elements. Nothing is read
// but the archive map (the library reads the archive's directory, program and configs)
// and the one mapping.
//
// Build (after scripts/capi-install.sh PREFIX):
//   c++ -std=c++17 plan.cpp $(pkg-config --cflags --libs graph_signature) -o plan
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "graph_signature.h"

namespace gsig {

struct Error : std::runtime_error {
    explicit Error(gsig_status s, const std::string &what)
        : std::runtime_error(what + ": " + gsig_status_name(s) + ": " + gsig_last_error_message()) {}
};

inline void check(gsig_status status, const char *what) {
    if (status != GSIG_OK) throw Error(status, what);
}

inline std::string_view view(gsig_str s) { return {s.data, s.len}; }

// Owns one gsig_archive_map handle; every gsig_str it hands out lives as long as it does.
class ArchiveMap {
  public:
    explicit ArchiveMap(const std::string &path, const char *model = nullptr) {
        check(gsig_archive_map_open_path(path.c_str(), model, &handle_), "open the archive map");
    }
    ArchiveMap(const ArchiveMap &) = delete;
    ArchiveMap &operator=(const ArchiveMap &) = delete;
    ~ArchiveMap() { gsig_archive_map_free(handle_); }

    const gsig_archive_map *get() const { return handle_; }

    size_t inputs() const { return count(gsig_archive_map_input_count, "input count"); }
    size_t outputs() const { return count(gsig_archive_map_output_count, "output count"); }

    gsig_input_binding input(size_t i) const {
        gsig_input_binding b;
        check(gsig_archive_map_input(handle_, i, &b), "input");
        return b;
    }
    gsig_output_binding output(size_t i) const {
        gsig_output_binding b;
        check(gsig_archive_map_output(handle_, i, &b), "output");
        return b;
    }
    gsig_payload payload(size_t i) const {
        gsig_payload p;
        check(gsig_archive_map_payload(handle_, i, &p), "payload");
        return p;
    }
    gsig_storage storage(size_t i) const {
        gsig_storage s;
        check(gsig_archive_map_storage(handle_, i, &s), "storage");
        return s;
    }
    std::optional<size_t> find(std::string_view name) const {
        size_t i = 0;
        gsig_status status = gsig_archive_map_payload_find(handle_, name.data(), name.size(), &i);
        if (status == GSIG_NOT_FOUND) return std::nullopt;
        check(status, "payload lookup");
        return i;
    }
    std::vector<int64_t> payload_dims(size_t i, bool strides) const {
        gsig_payload p = payload(i);
        std::vector<int64_t> out(strides ? p.strides_len : p.rank);
        for (size_t d = 0; d < out.size(); d++) {
            check(strides ? gsig_archive_map_payload_stride(handle_, i, d, &out[d])
                          : gsig_archive_map_payload_size(handle_, i, d, &out[d]),
                  "payload dimension");
        }
        return out;
    }

    // "torch.float32 [s77, 4]" for a tensor value, its kind for another, "?" for none.
    std::string meta(bool input, size_t i) const {
        gsig_value_meta m;
        check(input ? gsig_archive_map_input_meta(handle_, i, &m) : gsig_archive_map_output_meta(handle_, i, &m), "meta");
        switch (m.type) {
        case GSIG_META_TENSOR: break;
        case GSIG_META_SYM_INT: return "sym_int";
        case GSIG_META_SYM_FLOAT: return "sym_float";
        case GSIG_META_SYM_BOOL: return "sym_bool";
        case GSIG_META_CUSTOM_OBJ: return "custom_obj";
        case GSIG_META_CONSTANT: return "constant";
        case GSIG_META_TOKEN: return "token";
        default: return "?";
        }
        gsig_tensor_meta t;
        check(input ? gsig_archive_map_input_tensor(handle_, i, &t) : gsig_archive_map_output_tensor(handle_, i, &t),
              "tensor meta");
        std::string out(view(t.dtype));
        out += " [";
        for (size_t d = 0; d < t.rank; d++) {
            gsig_sym s;
            check(input ? gsig_archive_map_input_tensor_size(handle_, i, d, &s)
                        : gsig_archive_map_output_tensor_size(handle_, i, d, &s),
                  "size");
            if (d) out += ", ";
            out += s.symbolic ? std::string(view(s.short_form)) : std::to_string(s.value.integer);
        }
        return out + "]";
    }

  private:
    size_t count(gsig_status (*f)(const gsig_archive_map *, size_t *), const char *what) const {
        size_t n = 0;
        check(f(handle_, &n), what);
        return n;
    }

    gsig_archive_map *handle_ = nullptr;
};

// A constant as Python writes it.
inline std::string describe(const gsig_constant &c) {
    switch (c.type) {
    case GSIG_CONSTANT_NONE: return "None";
    case GSIG_CONSTANT_INT: return std::to_string(c.integer);
    case GSIG_CONSTANT_FLOAT: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", c.floating);
        return buf;
    }
    case GSIG_CONSTANT_BOOL: return c.boolean ? "True" : "False";
    case GSIG_CONSTANT_STRING: return "'" + std::string(view(c.string)) + "'";
    default: return "?";
    }
}

inline std::string kind_name(uint32_t kind, bool input) {
    gsig_str name;
    check(input ? gsig_input_kind_name(kind, &name) : gsig_output_kind_name(kind, &name), "kind name");
    return std::string(view(name));
}

inline std::string path_or_unknown(bool has, gsig_str path) {
    if (!has) return "?";
    return path.len ? std::string(view(path)) : std::string("(the value)");
}

}  // namespace gsig

namespace {

void print_plan(const gsig::ArchiveMap &map) {
    using gsig::view;
    size_t n = map.inputs();
    std::cout << "inputs (" << n << ")\n";
    for (size_t i = 0; i < n; i++) {
        gsig_input_binding b = map.input(i);
        std::cout << "  " << i << ' ' << view(b.name) << ' ' << gsig::kind_name(b.kind, true) << " <- ";
        switch (b.from) {
        case GSIG_FROM_PAYLOAD: std::cout << "payload " << view(b.target) << (b.found ? "" : " (missing)"); break;
        case GSIG_FROM_CALLER: std::cout << "caller " << gsig::path_or_unknown(b.has_path, b.path); break;
        case GSIG_FROM_CONSTANT:
            std::cout << "constant " << gsig::describe(b.constant) << " at " << gsig::path_or_unknown(b.has_path, b.path);
            break;
        case GSIG_FROM_CUSTOM_OBJECT:
            std::cout << "object " << view(b.target) << " (" << (b.has_class_fqn ? view(b.class_fqn) : "?") << ')';
            break;
        case GSIG_FROM_TOKEN: std::cout << "token"; break;
        default: std::cout << "something newer"; break;
        }
        std::cout << " : " << map.meta(true, i) << '\n';
    }
    n = map.outputs();
    std::cout << "outputs (" << n << ")\n";
    for (size_t i = 0; i < n; i++) {
        gsig_output_binding b = map.output(i);
        std::cout << "  " << i << ' ' << view(b.name) << ' ' << gsig::kind_name(b.kind, false) << " -> ";
        switch (b.to) {
        case GSIG_TO_CALLER: std::cout << "caller " << gsig::path_or_unknown(b.has_path, b.path); break;
        case GSIG_TO_LOSS: std::cout << "loss " << gsig::path_or_unknown(b.has_path, b.path); break;
        case GSIG_TO_WRITE_BACK:
            std::cout << "write back into " << gsig::kind_name(b.target_kind, true) << ' ' << view(b.target);
            break;
        case GSIG_TO_GRADIENT:
            std::cout << "gradient of " << gsig::kind_name(b.target_kind, true) << ' ' << view(b.target);
            break;
        case GSIG_TO_TOKEN: std::cout << "token"; break;
        default: std::cout << "something newer"; break;
        }
        std::cout << " : " << map.meta(false, i) << '\n';
    }
}

// The payload to map: the one named, or the first input's that a runtime could map.
std::optional<size_t> pick(const gsig::ArchiveMap &map, const char *name) {
    if (name) {
        auto found = map.find(name);
        if (!found) throw std::runtime_error(std::string("no payload named ") + name);
        return found;
    }
    for (size_t i = 0; i < map.inputs(); i++) {
        gsig_input_binding b = map.input(i);
        if (b.from != GSIG_FROM_PAYLOAD || !b.found) continue;
        size_t p = *map.find(gsig::view(b.target));
        gsig_payload t = map.payload(p);
        int64_t elements = 1;
        for (int64_t size : map.payload_dims(p, false)) elements *= size;
        if (t.encoding == GSIG_ENCODING_RAW && map.storage(t.storage).stored && elements > 0) return p;
    }
    return std::nullopt;
}

// One element's value as the dtype says, for the dtypes C++ has a type for; "" otherwise.
std::string value_of(std::string_view dtype, uint64_t element_size, const unsigned char *at) {
    char buf[40];
    auto is = [&](std::string_view name, size_t size) {
        if (dtype != name) return false;
        if (element_size != size) throw std::runtime_error("the map's element size disagrees with its dtype");
        return true;
    };
    if (is("torch.float32", sizeof(float))) {
        float v;
        std::memcpy(&v, at, sizeof v);
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    } else if (is("torch.float64", sizeof(double))) {
        double v;
        std::memcpy(&v, at, sizeof v);
        std::snprintf(buf, sizeof buf, "%.17g", v);
    } else if (is("torch.int64", sizeof(int64_t))) {
        int64_t v;
        std::memcpy(&v, at, sizeof v);
        std::snprintf(buf, sizeof buf, "%" PRId64, v);
    } else if (is("torch.int32", sizeof(int32_t))) {
        int32_t v;
        std::memcpy(&v, at, sizeof v);
        std::snprintf(buf, sizeof buf, "%" PRId32, v);
    } else if (is("torch.int8", 1)) {
        std::snprintf(buf, sizeof buf, "%d", static_cast<int>(static_cast<int8_t>(at[0])));
    } else if (is("torch.uint8", 1)) {
        std::snprintf(buf, sizeof buf, "%u", static_cast<unsigned>(at[0]));
    } else if (is("torch.bool", 1)) {
        std::snprintf(buf, sizeof buf, "%s", at[0] ? "True" : "False");
    } else {
        return "";
    }
    return buf;
}

// Maps payload `p`'s view and prints its first (up to 8) elements in row-major order: the
// byte each is at in the file, its bytes, and its value.
void print_weight(const char *path, const gsig::ArchiveMap &map, size_t p) {
    using gsig::view;
    const uint16_t probe = 1;
    if (*reinterpret_cast<const unsigned char *>(&probe) != 1) throw std::runtime_error("payloads are little-endian");
    gsig_payload t = map.payload(p);
    gsig_storage s = map.storage(t.storage);
    std::vector<int64_t> shape = map.payload_dims(p, false), strides = map.payload_dims(p, true);
    if (t.encoding != GSIG_ENCODING_RAW || !s.stored || t.element_size == 0 || strides.size() != shape.size())
        throw std::runtime_error("this payload cannot be mapped as a plain array");
    // The elements the view reaches, from its first one (strides are never negative in torch).
    uint64_t last = static_cast<uint64_t>(t.storage_offset);
    for (size_t d = 0; d < shape.size(); d++) {
        if (shape[d] == 0) throw std::runtime_error("the tensor has no elements");
        if (strides[d] < 0) throw std::runtime_error("a negative stride");
        last += static_cast<uint64_t>(shape[d] - 1) * static_cast<uint64_t>(strides[d]);
    }
    uint64_t end_byte = (last + 1) * t.element_size;
    if (end_byte > s.length) throw std::runtime_error("the view reaches past its storage");

    std::cout << "weight " << view(t.name) << ": " << view(t.dtype) << " [";
    for (size_t d = 0; d < shape.size(); d++) std::cout << (d ? ", " : "") << shape[d];
    std::cout << "] strides [";
    for (size_t d = 0; d < strides.size(); d++) std::cout << (d ? ", " : "") << strides[d];
    std::cout << "] offset " << t.storage_offset << ", storage " << t.storage << " (" << view(s.record)
              << ") at byte " << s.offset << " (" << s.length << " bytes)\n";

    // mmap wants an offset that is a multiple of the page size: map from the page the
    // storage starts in.
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t begin = s.offset - s.offset % page;
    const size_t length = static_cast<size_t>(s.offset - begin + end_byte);
    int fd = open(path, O_RDONLY);
    if (fd < 0) throw std::runtime_error(std::string("open: ") + std::strerror(errno));
    void *mapped = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(begin));
    close(fd);  // the mapping keeps the file
    if (mapped == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
    const unsigned char *storage = static_cast<const unsigned char *>(mapped) + (s.offset - begin);

    int64_t elements = 1;
    for (int64_t size : shape) elements *= size;
    std::vector<int64_t> index(shape.size(), 0);
    for (int64_t k = 0; k < elements && k < 8; k++) {
        uint64_t element = static_cast<uint64_t>(t.storage_offset);
        for (size_t d = 0; d < shape.size(); d++) element += static_cast<uint64_t>(index[d] * strides[d]);
        const unsigned char *at = storage + element * t.element_size;
        std::cout << "  [" << k << "] byte " << s.offset + element * t.element_size << ':';
        char hex[4];
        for (uint64_t b = 0; b < t.element_size; b++) {
            std::snprintf(hex, sizeof hex, " %02x", at[b]);
            std::cout << hex;
        }
        std::string value = value_of(view(t.dtype), t.element_size, at);
        std::cout << (value.empty() ? "" : " = ") << value << '\n';
        for (size_t d = shape.size(); d-- > 0;) {  // the next index, row-major
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    munmap(mapped, length);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: plan FILE [TENSOR]\n";
        return 2;
    }
    try {
        uint32_t major = 0, minor = 0;
        gsig::check(gsig_abi_version(&major, &minor), "ABI version");
        if (major != GSIG_ABI_VERSION_MAJOR || minor < 1) throw std::runtime_error("the archive map needs ABI 1.1");
        gsig::ArchiveMap map(argv[1]);
        print_plan(map);
        if (auto p = pick(map, argc == 3 ? argv[2] : nullptr)) {
            print_weight(argv[1], map, *p);
        } else {
            std::cout << "no stored raw weight to map\n";
        }
    } catch (const std::exception &e) {
        std::cerr << "plan: " << e.what() << '\n';
        return 1;
    }
    size_t live = 0;
    gsig::check(gsig_live_handle_count(&live), "live handles");
    if (live != 0) {
        std::cerr << "plan: " << live << " handles were never freed\n";
        return 1;
    }
    return 0;
}
