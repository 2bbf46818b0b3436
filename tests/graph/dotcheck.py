#!/usr/bin/env python3
"""A strict reader of the DOT subset `pikoci graph` writes, for machines
without Graphviz: `digraph ID { stmt; ... }` where a statement is
`ID = ID`, `node|edge|graph [attrs]`, `ID [attrs]` or `ID -> ID [attrs]`,
IDs bare words or quoted strings (only \\" and \\\\ escaped as DOT's lexer
reads them). Exit 1 with a message when the file is not that.

  dotcheck.py FILE           check it
  dotcheck.py FILE --nodes   also print each node statement's ID, decoded
                             (\\" -> ", \\\\ -> \\, \\n -> newline), one JSON
                             string a line
"""
import json
import re
import sys

TOKEN = re.compile(r'\s*(?:(->)|([{}\[\];=,])|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_.#]+))', re.S)


def tokens(text):
    pos = 0
    out = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("bad token at byte %d: %r" % (pos, text[pos:pos + 20]))
        arrow, punct, quoted, word = m.groups()
        out.append(("->", arrow) if arrow else ("p", punct) if punct
                   else ("id", quoted) if quoted else ("id", word))
        pos = m.end()


def decode(tok):
    if not tok.startswith('"'):
        return tok
    body, out, i = tok[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({'"': '"', "\\": "\\", "n": "\n"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def parse(toks):
    nodes = []
    i = 0

    def expect(kind, value=None):
        nonlocal i
        if i >= len(toks) or toks[i][0] != kind or (value is not None and toks[i][1] != value):
            raise ValueError("expected %s at token %d, got %r" % (value or kind, i,
                                                                   toks[i] if i < len(toks) else "EOF"))
        i += 1
        return toks[i - 1][1]

    def attrs():
        nonlocal i
        expect("p", "[")
        while not (toks[i] == ("p", "]")):
            expect("id")
            expect("p", "=")
            expect("id")
            if toks[i] == ("p", ","):
                i += 1
        expect("p", "]")

    expect("id", "digraph")
    expect("id")
    expect("p", "{")
    while i < len(toks) and toks[i] != ("p", "}"):
        first = expect("id")
        if toks[i] == ("p", "="):
            i += 1
            expect("id")
        elif toks[i][0] == "->":
            i += 1
            expect("id")
            if toks[i] == ("p", "["):
                attrs()
        else:
            if first not in ("node", "edge", "graph"):
                nodes.append(decode(first))
            if toks[i] == ("p", "["):
                attrs()
        expect("p", ";")
    expect("p", "}")
    if i != len(toks):
        raise ValueError("text after the graph")
    return nodes


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        nodes = parse(tokens(text))
    except (ValueError, IndexError) as e:
        print("not valid DOT: %s" % e, file=sys.stderr)
        return 1
    if "--nodes" in sys.argv:
        for n in nodes:
            print(json.dumps(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
