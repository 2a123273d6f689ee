package deployments_test

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// A structural check of PromQL, for want of promtool and of a Go parser
// light enough to depend on: it lexes an expression, checks that brackets
// nest, that range selectors are durations, that label matchers are
// name-operator-string with valid regular expressions, that every function
// exists, and returns the metric names the expression reads.

var (
	promFunctions = set("abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp", "clamp_max",
		"clamp_min", "count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv",
		"exp", "floor", "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_sum",
		"hour", "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
		"max_over_time", "min_over_time", "minute", "month", "predict_linear", "present_over_time",
		"quantile_over_time", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt",
		"stddev_over_time", "stdvar_over_time", "sum_over_time", "time", "timestamp", "vector", "year")
	promAggregations = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile")
	// promGrouping words take a parenthesised list of label names.
	promGrouping   = set("by", "without", "on", "ignoring", "group_left", "group_right")
	promSetOps     = set("and", "or", "unless", "atan2")
	promWordOther  = set("bool", "offset", "inf", "nan", "Inf", "NaN")
	promDuration   = regexp.MustCompile(`^(\d+(ms|[smhdwy]))+$`)
	promRange      = regexp.MustCompile(`^\s*(\d+(ms|[smhdwy]))+\s*(:\s*((\d+(ms|[smhdwy]))+)?\s*)?$`)
	promBinaryOps  = set("+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=")
	promMatcherOps = set("=", "!=", "=~", "!~")
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

type promToken struct {
	kind string // ident, number, duration, string, op, range, ( ) { } ,
	text string
}

// grafanaVariables are replaced by a value of their kind before checking.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h")

func lexPromQL(expr string) ([]promToken, error) {
	var out []promToken
	s := grafanaVariables.Replace(expr)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, promToken{"string", s[i+1 : j]})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			body := s[i+1 : i+j]
			if !promRange.MatchString(body) {
				return nil, fmt.Errorf("range %q is not a duration (or subquery)", body)
			}
			out = append(out, promToken{"range", body})
			i += j + 1
		case strings.IndexByte("(){},", c) >= 0:
			out = append(out, promToken{string(c), string(c)})
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(j > i && (s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			k := j
			for k < len(s) && unicode.IsLetter(rune(s[k])) {
				k++
			}
			if k > j {
				if !promDuration.MatchString(s[i:k]) {
					return nil, fmt.Errorf("%q is neither a number nor a duration", s[i:k])
				}
				out = append(out, promToken{"duration", s[i:k]})
			} else {
				out = append(out, promToken{"number", s[i:j]})
			}
			i = k
		case unicode.IsLetter(rune(c)) || c == '_' || c == ':':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == ':') {
				j++
			}
			out = append(out, promToken{"ident", s[i:j]})
			i = j
		default:
			op := string(c)
			if i+1 < len(s) && set("==", "!=", ">=", "<=", "=~", "!~")[s[i:i+2]] {
				op = s[i : i+2]
			}
			if !promBinaryOps[op] && !promMatcherOps[op] && op != "@" {
				return nil, fmt.Errorf("unexpected %q at %d", op, i)
			}
			out = append(out, promToken{"op", op})
			i += len(op)
		}
	}
	return out, nil
}

// checkPromQL checks expr and returns the metric names it reads.
func checkPromQL(expr string) ([]string, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	if last := toks[len(toks)-1]; last.kind == "op" || (last.kind == "ident" && (promSetOps[last.text] || promGrouping[last.text])) {
		return nil, fmt.Errorf("expression ends with %q", last.text)
	}
	var metrics []string
	var stack []string
	next := func(i int) promToken {
		if i+1 < len(toks) {
			return toks[i+1]
		}
		return promToken{}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case "(", "{":
			stack = append(stack, t.kind)
			if t.kind == "{" {
				n, err := checkMatchers(toks[i+1:])
				if err != nil {
					return nil, err
				}
				i += n // at the closing brace, which pops below
				stack = stack[:len(stack)-1]
			}
		case ")", "}":
			want := map[string]string{")": "(", "}": "{"}[t.kind]
			if len(stack) == 0 || stack[len(stack)-1] != want {
				return nil, fmt.Errorf("unbalanced %q", t.kind)
			}
			stack = stack[:len(stack)-1]
		case "ident":
			w := t.text
			switch {
			case promGrouping[w]:
				if next(i).kind != "(" {
					if w == "group_left" || w == "group_right" {
						continue
					}
					return nil, fmt.Errorf("%s needs a list of labels", w)
				}
				j := i + 2
				for ; j < len(toks) && toks[j].kind != ")"; j++ {
					if toks[j].kind != "ident" && toks[j].kind != "," {
						return nil, fmt.Errorf("%s (...) holds %q, not a label name", w, toks[j].text)
					}
				}
				if j == len(toks) {
					return nil, fmt.Errorf("unclosed %s (", w)
				}
				i = j
			case promSetOps[w] || promWordOther[w]:
			case next(i).kind == "(":
				if !promFunctions[w] && !promAggregations[w] {
					return nil, fmt.Errorf("unknown function %q", w)
				}
			case promAggregations[w] && (next(i).text == "by" || next(i).text == "without"):
			default:
				metrics = append(metrics, w)
			}
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return metrics, nil
}

// checkMatchers checks the label matchers after a "{" and returns how many
// tokens they take, the closing brace included.
func checkMatchers(toks []promToken) (int, error) {
	i := 0
	for i < len(toks) && toks[i].kind != "}" {
		if i+2 >= len(toks) || toks[i].kind != "ident" || toks[i+1].kind != "op" || !promMatcherOps[toks[i+1].text] || toks[i+2].kind != "string" {
			return 0, fmt.Errorf("label matcher must be name op \"value\", at %q", toks[i].text)
		}
		if op := toks[i+1].text; op == "=~" || op == "!~" {
			if _, err := regexp.Compile("^(?:" + toks[i+2].text + ")$"); err != nil {
				return 0, fmt.Errorf("matcher %s%s%q: %w", toks[i].text, op, toks[i+2].text, err)
			}
		}
		i += 3
		if i < len(toks) && toks[i].kind == "," {
			i++
		}
	}
	if i == len(toks) {
		return 0, fmt.Errorf("unclosed {")
	}
	return i + 1, nil
}
