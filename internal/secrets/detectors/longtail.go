package detectors

func longTailDetectors() []Detector {
	return []Detector{}
}
