package secrets

// prefilter finds every occurrence of a set of lower-case keywords in a text,
// ignoring ASCII case, in one pass. It is an Aho-Corasick automaton compiled
// to a full DFA over byte classes: bytes that occur in no keyword share one
// class, so the transition table stays small enough for the CPU cache and the
// inner loop is a single table lookup per input byte.
type prefilter struct {
	classOf    [256]byte // input byte (any case) → class; 0 = in no keyword
	numClasses int
	delta      []int32   // delta[state*numClasses+class] = next state
	out        [][]int32 // keyword ids that end in a state (failure chain merged)
	hasOut     []bool
	kwLen      []int
}

func newPrefilter(keywords []string) *prefilter {
	p := &prefilter{}
	// Byte classes over lower-cased keyword bytes.
	next := byte(1)
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := k[i]
			if p.classOf[c] == 0 {
				p.classOf[c] = next
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		p.classOf[c] = p.classOf[c+'a'-'A']
	}
	p.numClasses = int(next)

	// Trie.
	type node struct {
		next map[byte]int32
		out  []int32
		fail int32
	}
	nodes := []node{{next: map[byte]int32{}}}
	for id, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := p.classOf[k[i]]
			t, ok := nodes[s].next[c]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, node{next: map[byte]int32{}})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].out = append(nodes[s].out, int32(id))
		p.kwLen = append(p.kwLen, len(k))
	}

	// Breadth-first failure links, building the full DFA as we go: a state's
	// missing transitions are its failure state's transitions.
	nc := p.numClasses
	p.delta = make([]int32, len(nodes)*nc)
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		if t, ok := nodes[0].next[byte(c)]; ok {
			nodes[t].fail = 0
			p.delta[c] = t
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < nc; c++ {
			if t, ok := nodes[s].next[byte(c)]; ok {
				nodes[t].fail = p.delta[int(f)*nc+c]
				p.delta[int(s)*nc+c] = t
				queue = append(queue, t)
			} else {
				p.delta[int(s)*nc+c] = p.delta[int(f)*nc+c]
			}
		}
	}
	p.out = make([][]int32, len(nodes))
	p.hasOut = make([]bool, len(nodes))
	for i := range nodes {
		p.out[i] = nodes[i].out
		p.hasOut[i] = len(nodes[i].out) > 0
	}
	return p
}

// find calls hit with the keyword id and start offset of every occurrence.
func (p *prefilter) find(text []byte, hit func(kw int32, start int)) {
	nc := int32(p.numClasses)
	delta, hasOut, classOf := p.delta, p.hasOut, &p.classOf
	s := int32(0)
	for i, b := range text {
		s = delta[s*nc+int32(classOf[b])]
		if hasOut[s] {
			for _, kw := range p.out[s] {
				hit(kw, i+1-p.kwLen[kw])
			}
		}
	}
}
