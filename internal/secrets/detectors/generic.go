package detectors

func genericDetectors() []Detector {
	return []Detector{}
}
