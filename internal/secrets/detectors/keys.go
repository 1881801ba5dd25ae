package detectors

func keyDetectors() []Detector {
	return []Detector{}
}
