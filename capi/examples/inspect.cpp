// inspect: open a .pt2 (or any file graphsig reads) through the C API and print its
// signature as torch prints it, then every accessor.
//
//   inspect FILE [MODEL]
//
// Build (after scripts/capi-install.sh PREFIX):
//   c++ -std=c++17 inspect.cpp $(pkg-config --cflags --libs graph_signature) -o inspect
//
// A small RAII wrapper owns the handle; a failed call throws with the library's message.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "graph_signature.h"

namespace gsig {

struct Error : std::runtime_error {
    gsig_status status;
    Error(gsig_status s, const std::string &what)
        : std::runtime_error(what + ": " + gsig_status_name(s) + ": " + gsig_last_error_message()), status(s) {}
};

inline void check(gsig_status status, const char *what) {
    if (status != GSIG_OK) throw Error(status, what);
}

inline std::string_view view(gsig_str s) { return {s.data, s.len}; }

// Owns one gsig_signature handle; strings it hands out live as long as it does.
class Signature {
  public:
    explicit Signature(const std::string &path, const char *model = nullptr) {
        check(gsig_open_path(path.c_str(), model, GSIG_SOURCE_AUTO, &handle_), "open");
    }
    Signature(const Signature &) = delete;
    Signature &operator=(const Signature &) = delete;
    ~Signature() { gsig_signature_free(handle_); }

    std::string text() const {
        size_t len = 0;
        check(gsig_signature_text(handle_, nullptr, 0, &len), "text size");
        std::string out(len, '\0');
        check(gsig_signature_text(handle_, out.data(), out.size(), &len), "text");
        return out;
    }

    std::vector<std::string_view> list(gsig_string_list which) const {
        size_t n = 0;
        check(gsig_string_list_len(handle_, which, &n), "list length");
        std::vector<std::string_view> out;
        for (size_t i = 0; i < n; i++) {
            gsig_str item;
            check(gsig_string_list_get(handle_, which, i, &item), "list item");
            out.push_back(view(item));
        }
        return out;
    }

    std::vector<std::pair<std::string_view, std::string_view>> map(gsig_name_map which) const {
        size_t n = 0;
        check(gsig_name_map_len(handle_, which, &n), "map length");
        std::vector<std::pair<std::string_view, std::string_view>> out;
        for (size_t i = 0; i < n; i++) {
            gsig_str key, value;
            check(gsig_name_map_entry(handle_, which, i, &key, &value), "map entry");
            out.emplace_back(view(key), view(value));
        }
        return out;
    }

    std::vector<gsig_user_value> user_values(gsig_user_values which) const {
        size_t n = 0;
        check(gsig_user_values_len(handle_, which, &n), "user values length");
        std::vector<gsig_user_value> out(n);
        for (size_t i = 0; i < n; i++) check(gsig_user_values_get(handle_, which, i, &out[i]), "user value");
        return out;
    }

    const gsig_signature *get() const { return handle_; }

  private:
    gsig_signature *handle_ = nullptr;
};

inline std::string describe(const gsig_user_value &v) {
    if (v.type == GSIG_USER_VALUE_NAME) return std::string(view(v.name));
    const gsig_constant &c = v.constant;
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

}  // namespace gsig

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: inspect FILE [MODEL]\n";
        return 2;
    }
    try {
        gsig::Signature sig(argv[1], argc == 3 ? argv[2] : nullptr);
        std::cout << sig.text() << '\n';  // as print(ep.graph_signature)

        const std::pair<gsig_string_list, const char *> lists[] = {
            {GSIG_LIST_PARAMETERS, "parameters"},
            {GSIG_LIST_BUFFERS, "buffers"},
            {GSIG_LIST_NON_PERSISTENT_BUFFERS, "non_persistent_buffers"},
            {GSIG_LIST_LIFTED_TENSOR_CONSTANTS, "lifted_tensor_constants"},
            {GSIG_LIST_LIFTED_CUSTOM_OBJS, "lifted_custom_objs"},
            {GSIG_LIST_INPUT_TOKENS, "input_tokens"},
            {GSIG_LIST_OUTPUT_TOKENS, "output_tokens"},
        };
        std::cout << "# accessors\n";
        for (const auto &[which, name] : lists) {
            std::cout << name << ":";
            for (auto item : sig.list(which)) std::cout << ' ' << item;
            std::cout << '\n';
        }
        const std::pair<gsig_user_values, const char *> values[] = {
            {GSIG_USER_INPUTS, "user_inputs"},
            {GSIG_USER_OUTPUTS, "user_outputs"},
        };
        for (const auto &[which, name] : values) {
            std::cout << name << ":";
            for (const auto &v : sig.user_values(which)) std::cout << ' ' << gsig::describe(v);
            std::cout << '\n';
        }
        const std::pair<gsig_name_map, const char *> maps[] = {
            {GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, "inputs_to_parameters"},
            {GSIG_NAME_MAP_INPUTS_TO_BUFFERS, "inputs_to_buffers"},
            {GSIG_NAME_MAP_BUFFERS_TO_MUTATE, "buffers_to_mutate"},
            {GSIG_NAME_MAP_PARAMETERS_TO_MUTATE, "parameters_to_mutate"},
            {GSIG_NAME_MAP_USER_INPUTS_TO_MUTATE, "user_inputs_to_mutate"},
            {GSIG_NAME_MAP_INPUTS_TO_LIFTED_TENSOR_CONSTANTS, "inputs_to_lifted_tensor_constants"},
            {GSIG_NAME_MAP_INPUTS_TO_LIFTED_CUSTOM_OBJS, "inputs_to_lifted_custom_objs"},
        };
        for (const auto &[which, name] : maps) {
            std::cout << name << ":";
            for (const auto &[key, value] : sig.map(which)) std::cout << ' ' << key << " -> " << value;
            std::cout << '\n';
        }
        bool present = false;
        gsig_str loss;
        gsig::check(gsig_backward_signature(sig.get(), &present, &loss), "backward signature");
        std::cout << "backward_signature: ";
        if (present) {
            std::cout << "loss_output " << gsig::view(loss) << '\n';
            for (const auto &[key, value] : sig.map(GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS))
                std::cout << "  gradient " << key << " -> parameter " << value << '\n';
            for (const auto &[key, value] : sig.map(GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS))
                std::cout << "  gradient " << key << " -> user input " << value << '\n';
        } else {
            std::cout << "None\n";
        }
        // A lookup by name, as `sig.inputs_to_parameters[name]` in Python.
        for (const auto &[key, value] : sig.map(GSIG_NAME_MAP_INPUTS_TO_PARAMETERS)) {
            gsig_str found;
            gsig::check(gsig_name_map_get(sig.get(), GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, key.data(), key.size(), &found),
                        "lookup");
            if (gsig::view(found) != value) throw std::logic_error("lookup and iteration disagree");
        }
    } catch (const std::exception &e) {
        std::cerr << "inspect: " << e.what() << '\n';
        return 1;
    }
    // The handle was freed when `sig` went out of scope.
    size_t live = 0;
    gsig::check(gsig_live_handle_count(&live), "live handles");
    if (live != 0) {
        std::cerr << "inspect: " << live << " handles were never freed\n";
        return 1;
    }
    return 0;
}
