package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// TestWorkerRunsQueuedJobs queues real work (a scan with a planted key, a
// detection replay of attack logs, and a scan of a folder that is not
// there) and drains it with two workers of one process, on SQLite and on
// PostgreSQL: findings land in the store, a failing job is retried and
// then fails, and the planted key appears in no job's output.
func TestWorkerRunsQueuedJobs(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		env := map[string]string{"PALISADE_DB": dsn}
		writeFile(t, filepath.Join(dir, "repo", "deploy.sh"), "export AWS_ACCESS_KEY_ID="+planted+"\n")
		for _, args := range [][]string{
			{"jobs", "add", "--name", "repo secrets", "--", "scan", "--scanners", "secrets", "repo"},
			{"jobs", "add", "--name", "gate", "--", "scan", "--scanners", "secrets", "--fail-on", "high", "repo"},
			{"jobs", "add", "--", "detect", stratusLogs(t)},
			{"jobs", "add", "--attempts", "2", "--", "scan", "missing-folder"},
		} {
			if r := palisade(t, dir, env, args...); r.code != 0 || !strings.HasPrefix(r.stdout, "queued job ") {
				t.Fatalf("%v: %d %q %q", args, r.code, r.stdout, r.stderr)
			}
		}
		r := palisade(t, dir, env, "worker", "--once", "--concurrency", "2", "--retry-delay", "0s")
		if r.code != 0 {
			t.Fatalf("worker: %d %q", r.code, r.stderr)
		}
		r = palisade(t, dir, env, "jobs", "list", "--format", "json")
		var list struct {
			Jobs []struct {
				Name     string
				Status   string
				Attempts int
				ExitCode *int `json:"exit_code"`
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Jobs) != 4 {
			t.Fatalf("jobs list: %v %q", err, r.stdout)
		}
		got := map[string]string{}
		for _, j := range list.Jobs {
			exit := -1
			if j.ExitCode != nil {
				exit = *j.ExitCode
			}
			got[j.Name] = fmt.Sprintf("%s %d %d", j.Status, j.Attempts, exit)
		}
		for name, want := range map[string]string{
			"repo secrets":             "done 1 0", // no --fail-on: findings exit 0
			"gate":                     "done 1 1", // findings at --fail-on: exit 1, a result, not a failure
			"scan missing-folder":      "failed 2 2",
			"detect " + stratusLogs(t): "done 1 1",
		} {
			if got[name] != want {
				t.Errorf("job %q: %q, want %q (status, attempts, exit)", name, got[name], want)
			}
		}
		if r := palisade(t, dir, env, "findings", "list", "--format", "json"); !strings.Contains(r.stdout, `"rule_id": "aws-access-key-id"`) || !strings.Contains(r.stdout, `"category": "detection"`) {
			t.Errorf("findings after the jobs ran lack the secret or the detections: %.300s", r.stdout)
		}
		r = palisade(t, dir, env, "jobs", "show", "4")
		if !strings.Contains(r.stdout, "status: failed, attempt 2 of 2, exit 2") || !strings.Contains(r.stdout, "missing-folder") {
			t.Errorf("jobs show 4: %q", r.stdout)
		}
		for i := 1; i <= 4; i++ {
			if r := palisade(t, dir, env, "jobs", "show", fmt.Sprint(i)); strings.Contains(r.stdout, planted) {
				t.Errorf("job %d's output shows the planted key", i)
			}
		}
		if r := palisade(t, dir, env, "jobs", "cancel", "1"); r.code != 2 || !strings.Contains(r.stderr, "has ended") {
			t.Errorf("cancel a finished job: %d %q", r.code, r.stderr)
		}
	})
}

func TestJobsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "add", "--", "serve"}, "a job runs one of scan, detect, aws audit"},
		{[]string{"jobs", "add", "--", "scan", "--db", "other.db"}, "flag --db: not one a scan job may set"},
		{[]string{"jobs", "add", "--", "scan", "--output", "/tmp/x"}, "flag --output: not one a scan job may set"},
		{[]string{"jobs", "add", "--", "scan", "-o", "/tmp/x"}, "a job gives flags in their long form"},
		{[]string{"jobs", "add", "--", "detect", "/logs", "--smtp-password-env", "AWS_SECRET_ACCESS_KEY"}, "only from variables named PALISADE_SINK_"},
		{[]string{"jobs", "add", "--every", "10s", "--", "scan"}, "--every: at least 1m"},
		{[]string{"jobs", "add", "--attempts", "0", "--", "scan"}, "--attempts: 1 to 100"},
		{[]string{"jobs", "list", "--status", "sleeping"}, `--status "sleeping"`},
		{[]string{"jobs", "show", "x"}, "a positive number"},
		{[]string{"jobs", "show", "99"}, "no job 99"},
		{[]string{"jobs", "cancel", "99"}, "no job 99"},
		{[]string{"worker", "--lease", "1s"}, "--lease: at least 30s"},
		{[]string{"worker", "--concurrency", "0"}, "--concurrency: 1 to 64"},
	} {
		r := palisade(t, dir, env, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestReadersSkipFIFOs gives the commands a job may run a named pipe among
// their inputs: each reports it and goes on instead of waiting for a
// writer forever (which would hold a worker's slot).
func TestReadersSkipFIFOs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "logs", "a.json"), `{"Records":[]}`)
	if err := syscall.Mkfifo(filepath.Join(dir, "logs", "pipe.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	for _, args := range [][]string{
		{"detect", "--no-store", "logs"},
		{"detect", "--no-store", "logs/pipe.json"},
		{"events", "index", "--index", filepath.Join(t.TempDir(), "i.db"), "logs"},
		{"scan", "--no-store", "logs"},
	} {
		done := make(chan run, 1)
		go func() { done <- palisade(t, dir, env, args...) }()
		select {
		case r := <-done:
			if r.code == 2 || (args[0] != "scan" && !strings.Contains(r.stderr, "pipe.json: a named pipe (FIFO): not a regular file")) {
				t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%v blocked on a FIFO", args)
		}
	}
}
