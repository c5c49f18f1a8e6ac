// See include/CEccRE2.h.
#include "CEccRE2.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <new>
#include <string>
#include <utility>
#include <vector>

struct ecc_re2 {
    re2::RE2 re;
    std::vector<std::string> names;  // named groups in pattern order
    std::vector<int> indexes;        // their RE2 group numbers (1-based)
    int submatches = 0;              // 1 + the highest group number a named group has

    ecc_re2(const char *pattern, size_t len, const re2::RE2::Options &options)
        : re(re2::StringPiece(pattern, len), options) {
        if (!re.ok()) return;
        // Named groups are rare and few; sort them by number so captures come out in pattern order.
        std::vector<std::pair<int, std::string>> groups;
        for (const auto &g : re.NamedCapturingGroups()) groups.emplace_back(g.second, g.first);
        std::sort(groups.begin(), groups.end());
        for (auto &g : groups) {
            indexes.push_back(g.first);
            names.push_back(std::move(g.second));
            submatches = std::max(submatches, g.first + 1);
        }
    }
};

static re2::RE2::Options options() {
    re2::RE2::Options o;
    o.set_log_errors(false);  // errors go to the caller, not stderr
    return o;
}

extern "C" {

ecc_re2 *ecc_re2_new(const char *pattern, size_t len) {
    static const re2::RE2::Options o = options();
    return new (std::nothrow) ecc_re2(pattern == nullptr ? "" : pattern, pattern == nullptr ? 0 : len, o);
}

void ecc_re2_free(ecc_re2 *re) { delete re; }

int ecc_re2_error_code(const ecc_re2 *re) { return static_cast<int>(re->re.error_code()); }

const char *ecc_re2_error(const ecc_re2 *re) { return re->re.error().c_str(); }

const char *ecc_re2_error_arg(const ecc_re2 *re) { return re->re.error_arg().c_str(); }

int ecc_re2_group_count(const ecc_re2 *re) { return static_cast<int>(re->names.size()); }

const char *ecc_re2_group_name(const ecc_re2 *re, int i) { return re->names[static_cast<size_t>(i)].c_str(); }

int ecc_re2_match(const ecc_re2 *re, const char *text, size_t len, int64_t *spans) {
    // An empty Swift string may come without a buffer; RE2 tells unset groups by a null pointer, so give it one.
    if (text == nullptr) text = "";
    re2::StringPiece input(text, len);
    if (spans == nullptr || re->submatches == 0) {
        return re->re.Match(input, 0, len, re2::RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
    }
    // The hot path allocates nothing for up to 16 groups (named or not) before the last named one.
    re2::StringPiece small[16];
    std::vector<re2::StringPiece> large;
    re2::StringPiece *groups = small;
    if (re->submatches > 16) {
        large.resize(static_cast<size_t>(re->submatches));
        groups = large.data();
    }
    if (!re->re.Match(input, 0, len, re2::RE2::UNANCHORED, groups, re->submatches)) return 0;
    for (size_t i = 0; i < re->indexes.size(); i++) {
        const re2::StringPiece &g = groups[re->indexes[i]];
        if (g.data() == nullptr) {
            spans[2 * i] = -1;
            spans[2 * i + 1] = -1;
        } else {
            spans[2 * i] = g.data() - text;
            spans[2 * i + 1] = g.data() - text + static_cast<int64_t>(g.size());
        }
    }
    return 1;
}

struct ecc_re2_set {
    re2::RE2::Set set;
    explicit ecc_re2_set(const re2::RE2::Options &o) : set(o, re2::RE2::UNANCHORED) {}
};

ecc_re2_set *ecc_re2_set_new(void) {
    static const re2::RE2::Options o = options();
    return new (std::nothrow) ecc_re2_set(o);
}

void ecc_re2_set_free(ecc_re2_set *set) { delete set; }

int ecc_re2_set_add(ecc_re2_set *set, const char *pattern, size_t len) {
    return set->set.Add(re2::StringPiece(pattern == nullptr ? "" : pattern, pattern == nullptr ? 0 : len), nullptr);
}

int ecc_re2_set_compile(ecc_re2_set *set) { return set->set.Compile() ? 1 : 0; }

int ecc_re2_set_first(const ecc_re2_set *set, const char *text, size_t len) {
    if (text == nullptr) text = "";
    // One vector per thread, reused: a match allocates nothing once it has grown.
    thread_local std::vector<int> matched;
    matched.clear();
    re2::RE2::Set::ErrorInfo info;
    if (!set->set.Match(re2::StringPiece(text, len), &matched, &info)) {
        // The set's DFA has no fallback: when it gives up (out of memory on a long, hostile line), say so, and
        // the caller tries the expressions one by one.
        return info.kind == re2::RE2::Set::kNoError ? -1 : -2;
    }
    if (matched.empty()) return -1;
    return *std::min_element(matched.begin(), matched.end());
}

}  // extern "C"
