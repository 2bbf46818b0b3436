// hcl2dump: the reference side of pikoci's HCL2 differential test.
//
// It parses one file with HashiCorp's own hclsyntax (Debian's
// golang-github-hashicorp-hcl-v2-dev) and prints the same JSON document that
// pikoci's C `hcl_dump` prints, so tests/hcl_diff.py can compare the two:
//
//	syntax error -> stdout {"$error":"syntax"}, diagnostics on stderr, exit 1
//	otherwise    -> BODY = {"attributes":{NAME:VALUE},"blocks":[{"type","labels","body"}]}
//	                VALUE is the attribute evaluated in a fixed context, or
//	                {"$error":"eval"} when evaluation reports any error.
//
// The evaluation context is fixed (see evalContext) and the function table
// (functions.go) mirrors Terraform's semantics, which PikoCI documents as its
// function library. Built with GO111MODULE=off against /usr/share/gocode only.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evalContext is the fixed context both dumpers evaluate in. Sequences are
// tuples (cty.TupleVal), exactly what the literal ["a","b","c"] would give,
// so a typeless evaluator sees the same values; records are objects.
func evalContext() *hcl.EvalContext {
	str := cty.StringVal
	num := func(f float64) cty.Value { return cty.NumberFloatVal(f) }
	v := cty.ObjectVal(map[string]cty.Value{
		"name":  str("pikoci"),
		"n":     cty.NumberIntVal(3),
		"pi":    num(3.5),
		"flag":  cty.True,
		"empty": str(""),
		"list":  cty.TupleVal([]cty.Value{str("a"), str("b"), str("c")}),
		"nums":  cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2), cty.NumberIntVal(3)}),
		"obj":   cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": str("x")}),
		"nested": cty.ObjectVal(map[string]cty.Value{
			"os": cty.TupleVal([]cty.Value{str("linux"), str("darwin")}),
		}),
	})
	each := cty.ObjectVal(map[string]cty.Value{
		"key":   str("k1"),
		"value": cty.ObjectVal(map[string]cty.Value{"os": str("linux"), "arch": str("amd64")}),
	})
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": v, "each": each},
		Functions: functions(),
	}
}

// valueJSON renders an evaluated value. Numbers that are integers within
// int64 print without a fraction; infinities (JSON has none) print as
// +/-1e999, which JSON readers take as infinity.
func valueJSON(v cty.Value) (interface{}, error) {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return nil, fmt.Errorf("unknown value")
	}
	if v.IsNull() {
		return nil, nil
	}
	ty := v.Type()
	switch {
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Number:
		return numberJSON(v.AsBigFloat()), nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := []interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			j, err := valueJSON(ev)
			if err != nil {
				return nil, err
			}
			out = append(out, j)
		}
		return out, nil
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			j, err := valueJSON(ev)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot render %s", ty.FriendlyName())
}

func numberJSON(f *big.Float) json.Number {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return json.Number(strconv.FormatInt(i, 10))
		}
	}
	// Float64 also overflows to infinity for finite values beyond 1.8e308.
	d, _ := f.Float64()
	switch {
	case math.IsInf(d, 1):
		return json.Number("1e999")
	case math.IsInf(d, -1):
		return json.Number("-1e999")
	}
	return json.Number(strconv.FormatFloat(d, 'g', -1, 64))
}

func bodyJSON(body *hclsyntax.Body, ctx *hcl.EvalContext) map[string]interface{} {
	attrs := map[string]interface{}{}
	names := make([]string, 0, len(body.Attributes))
	for name := range body.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		attr := body.Attributes[name]
		val, diags := attr.Expr.Value(ctx)
		var j interface{}
		var err error
		if !diags.HasErrors() {
			j, err = valueJSON(val)
		}
		if diags.HasErrors() || err != nil {
			if os.Getenv("HCL2DUMP_VERBOSE") != "" {
				fmt.Fprintf(os.Stderr, "eval %s: %v %v\n", name, diags, err)
			}
			j = map[string]interface{}{"$error": "eval"}
		}
		attrs[name] = j
	}
	blocks := []interface{}{}
	for _, b := range body.Blocks {
		labels := append([]string{}, b.Labels...)
		blocks = append(blocks, map[string]interface{}{
			"type":   b.Type,
			"labels": labels,
			"body":   bodyJSON(b.Body, ctx),
		})
	}
	return map[string]interface{}{"attributes": attrs, "blocks": blocks}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hcl2dump FILE")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := ioutil.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		fmt.Println(`{"$error":"syntax"}`)
		files := map[string]*hcl.File{path: {Bytes: src}}
		wr := hcl.NewDiagnosticTextWriter(os.Stderr, files, 100, false)
		wr.WriteDiagnostics(diags)
		os.Exit(1)
	}
	doc := bodyJSON(file.Body.(*hclsyntax.Body), evalContext())
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Stdout.Write(buf.Bytes())
}
