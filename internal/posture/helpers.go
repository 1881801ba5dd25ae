package posture

import "github.com/palisade-sec/palisade/internal/cloud"

// each builds a Check that visits every resource of one kind and reports
// when bad returns a message.
func each[T cloud.Resource](list func(*cloud.State) []T, bad func(T) (cloud.Source, string, bool)) func(*cloud.State, Reporter) {
	return func(s *cloud.State, report Reporter) {
		for _, r := range list(s) {
			if at, msg, ok := bad(r); ok {
				report(r, at, msg)
			}
		}
	}
}

// isFalse reports a Bool attribute that is known false, placed at the attribute.
func isFalse[T cloud.Resource](r T, a cloud.Bool, msg string) (cloud.Source, string, bool) {
	return cloud.At(r.Base(), a), msg, a.Is(false)
}

// isTrue reports a Bool attribute that is known true.
func isTrue[T cloud.Resource](r T, a cloud.Bool, msg string) (cloud.Source, string, bool) {
	return cloud.At(r.Base(), a), msg, a.Is(true)
}

// isEmpty reports a String attribute that is known empty (not configured).
func isEmpty[T cloud.Resource](r T, a cloud.String, msg string) (cloud.Source, string, bool) {
	return cloud.At(r.Base(), a), msg, a.Is("")
}

// allListeners returns every load balancer listener: those of application
// and network load balancers, which are resources of their own, and those
// of classic load balancers, which exist only inside their load balancer.
func allListeners(s *cloud.State) []*cloud.Listener {
	out := append([]*cloud.Listener(nil), s.Listeners...)
	for _, lb := range s.LoadBalancers {
		if !lb.Type.Is("classic") {
			continue
		}
		for i := range lb.Listeners {
			out = append(out, &lb.Listeners[i])
		}
	}
	return out
}
