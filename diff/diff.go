// Package diff compares two versions of a text word by word, for the post editor's version
// history.
package diff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind of a diff piece.
type Kind int

// Pieces are kept, inserted or deleted text.
const (
	Equal Kind = iota
	Insert
	Delete
)

// Piece is a run of text with one Kind.
type Piece struct {
	Kind Kind
	Text string
}

// Words returns the pieces turning a into b, comparing words and the spaces between them
// (Myers' algorithm, O((n+m)·d)). Adjacent pieces of one kind are merged.
func Words(a, b string) []Piece {
	x, y := tokens(a), tokens(b)
	ops := regroup(myers(x, y))
	var out []Piece
	for _, op := range ops {
		if n := len(out); n > 0 && out[n-1].Kind == op.Kind {
			out[n-1].Text += op.Text
			continue
		}
		out = append(out, op)
	}
	return out
}

// regroup makes changes read as phrases: a space kept between two changes joins them,
// and within each run of changes the deleted text comes before the inserted text.
func regroup(ops []Piece) []Piece {
	var out []Piece
	for i := 0; i < len(ops); {
		if ops[i].Kind == Equal {
			out = append(out, ops[i])
			i++
			continue
		}
		var del, ins string
		j := i
		for j < len(ops) {
			op := ops[j]
			switch {
			case op.Kind == Delete:
				del += op.Text
			case op.Kind == Insert:
				ins += op.Text
			case strings.TrimSpace(op.Text) == "" && j+1 < len(ops) && ops[j+1].Kind != Equal:
				del, ins = del+op.Text, ins+op.Text
			default:
				goto done
			}
			j++
		}
	done:
		if del != "" {
			out = append(out, Piece{Delete, del})
		}
		if ins != "" {
			out = append(out, Piece{Insert, ins})
		}
		i = j
	}
	return out
}

// tokens splits text into words, runs of spaces, and single punctuation marks, keeping
// the original bytes (invalid UTF-8 included).
func tokens(s string) []string {
	var out []string
	start, class := 0, -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := 2 // punctuation: one token each
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' || r == '#' || r == '@':
			c = 0
		case unicode.IsSpace(r):
			c = 1
		}
		if i > start && (c != class || c == 2) {
			out = append(out, s[start:i])
			start = i
		}
		class = c
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func myers(a, b []string) []Piece {
	n, m := len(a), len(b)
	max := n + m
	if max == 0 {
		return nil
	}
	offset := max
	v := make([]int, 2*max+2)
	var trace [][]int
	for d := 0; d <= max; d++ {
		snapshot := make([]int, len(v))
		copy(snapshot, v)
		trace = append(trace, snapshot)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1]
			} else {
				x = v[offset+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[offset+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, offset)
			}
		}
	}
	return nil
}

func backtrack(trace [][]int, a, b []string, offset int) []Piece {
	x, y := len(a), len(b)
	var rev []Piece
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[offset+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, Piece{Equal, a[x-1]})
			x, y = x-1, y-1
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, Piece{Insert, b[y-1]})
			} else {
				rev = append(rev, Piece{Delete, a[x-1]})
			}
		}
		x, y = prevX, prevY
	}
	out := make([]Piece, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}
