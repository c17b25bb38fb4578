#!/usr/bin/env python3
"""Architecture figures of src/: file-level import cycles and the longest functions.

Usage: scripts/arch-check.py [--max-fn N] [SRC_DIR]   (default src/, N = 100)

Import edges: every path into the crate that non-test code of a file names (`use crate::…`,
`use super::…`, and inline paths such as `crate::study::adaptive::SeedRange`), resolved to
the deepest module file that exists; `mod x;` declarations are not edges (a parent declares
its children). A cycle is a strongly connected component of two or more files. Test code
(`#[cfg(test)]` items and `tests.rs` files) is left out of both figures.

Function length: lines from the `fn` line to its closing brace, comments and blank lines
included. Exit status 1 when there is a cycle or a function over N lines.
"""
import os
import re
import sys


def strip(text):
    """Text with comments, strings and char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j): depth += 1; j += 2
                elif text.startswith("*/", j): depth -= 1; j += 2
                else: j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j])); i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j + 1])); i = j + 1
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:])
            if m:
                out.append(" " * len(m.group(0))); i += len(m.group(0))
            else:
                out.append(c); i += 1
        else:
            out.append(c); i += 1
    return "".join(out)


def block_end(text, start):
    """Index just past the brace block that opens at or after `start`."""
    i = text.index("{", start)
    depth = 0
    while i < len(text):
        if text[i] == "{": depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0: return i + 1
        i += 1
    return len(text)


def without_tests(text):
    """Blanks every `#[cfg(test)]` item (a `mod … { }` block or a single item)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]", text)
        if not m: return text
        rest = text[m.end():]
        semi = re.match(r"\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*;", rest)
        if semi:
            end = m.end() + semi.end()
        else:
            end = block_end(text, m.end())
        text = text[:m.start()] + re.sub(r"[^\n]", " ", text[m.start():end]) + text[end:]


def modules(src):
    """module path (tuple) -> file, for every .rs file under src."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"): continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel in (["lib"], ["main"]): mod = ()
            elif rel[-1] == "mod": mod = tuple(rel[:-1])
            else: mod = tuple(rel)
            if rel[0] == "cli" or rel == ["main"]:
                mod = ("<bin>",) + mod if rel != ["main"] else ("<bin>",)
            if rel == ["cli", "mod"]: mod = ("<bin>", "cli")
            out[mod] = path
    return out


def edges(src, mods):
    graph = {}
    for mod, path in mods.items():
        if os.path.basename(path) == "tests.rs": continue
        text = without_tests(strip(open(path, encoding="utf-8").read()))
        # In a file, `self` is its module; `super` its parent; the crate is the library
        # (or the binary root for src/cli/, whose library paths start with `trainbench::`).
        binary = mod[:1] == ("<bin>",)
        targets = set()
        # Expand `use a::{b, c::{d}}` groups into paths.
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths += expand(m.group(1))
        paths += re.findall(r"\b((?:crate|super|self|trainbench)(?:::\w+)+)", text)
        for p in paths:
            parts = p.replace(" ", "").split("::")
            if parts[0] == "crate": base = ("<bin>",) if binary else ()
            elif parts[0] == "trainbench": base = ()
            elif parts[0] == "self": base = mod
            elif parts[0] == "super":
                base = mod
                while parts and parts[0] == "super":
                    base = base[:-1]; parts = parts[1:]
                parts = ["x"] + parts
            else:
                continue
            parts = parts[1:]
            best = base if base in mods else None
            cur = base
            for seg in parts:
                cur = cur + (seg,)
                if cur in mods: best = cur
                else: break
            if best is not None and best != mod:
                targets.add(best)
        graph[mod] = targets
    return graph


def expand(tree):
    tree = tree.strip()
    if "{" not in tree:
        return [tree.split(" as ")[0].strip()]
    i = tree.index("{")
    prefix = tree[:i].rstrip(":").strip()
    inner = tree[i + 1:tree.rindex("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{": depth += 1
        if ch == "}": depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur); cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p: continue
        for e in expand(p):
            out.append(prefix if e == "self" else f"{prefix}::{e}")
    return out


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(comp)

    for v in graph:
        if v not in index: visit(v)
    return out


def functions(src, mods):
    found = []
    for mod, path in mods.items():
        if os.path.basename(path) == "tests.rs": continue
        raw = strip(open(path, encoding="utf-8").read())
        text = without_tests(raw)
        for m in re.finditer(r"\bfn\s+(\w+)", text):
            # A declaration without a body (trait method, `fn` type) ends at `;` first.
            brace, semi = text.find("{", m.end()), text.find(";", m.end())
            if brace < 0 or (0 <= semi < brace): continue
            end = block_end(text, m.end())
            first = text.count("\n", 0, m.start()) + 1
            last = text.count("\n", 0, end) + 1
            found.append((last - first + 1, f"{os.path.relpath(path)}:{first}", m.group(1)))
    return sorted(found, reverse=True)


def main():
    args = sys.argv[1:]
    limit = 100
    if args[:1] == ["--max-fn"]:
        limit = int(args[1]); args = args[2:]
    src = args[0] if args else "src"
    mods = modules(src)
    graph = edges(src, mods)
    name = lambda m: os.path.relpath(mods[m])
    cycles = sccs(graph)
    print(f"files: {len(mods)}; lines: {sum(len(open(p, encoding='utf-8').readlines()) for p in mods.values())}")
    print(f"import cycles: {len(cycles)}")
    for c in cycles:
        print("  " + " ⇄ ".join(sorted(name(m) for m in c)))
    fns = functions(src, mods)
    over = [f for f in fns if f[0] > limit]
    print(f"longest functions (limit {limit}):")
    for n, where, f in fns[:5]:
        print(f"  {n:4} {where} {f}")
    print(f"functions over {limit} lines: {len(over)}")
    return 1 if cycles or over else 0


if __name__ == "__main__":
    sys.exit(main())
