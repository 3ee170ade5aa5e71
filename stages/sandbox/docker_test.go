package sandbox

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// labelled lists the ids of containers carrying LabelOwner (any value).
func labelled(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+LabelOwner).CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v: %s", err, out)
	}
	return strings.Fields(string(out))
}

// TestDockerSweepsStaleContainers makes a labelled container as a ccw that
// was killed would leave behind, and checks the next start removes it while
// a container of a live owner stays.
func TestDockerSweepsStaleContainers(t *testing.T) {
	sandboxtest.NeedDocker(t)
	create := func(owner string) string {
		out, err := exec.Command("docker", "create", "--label", LabelOwner+"="+owner, sandboxtest.DockerImage, "/nothing").CombinedOutput()
		if err != nil {
			t.Fatalf("docker create: %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	host, _ := exec.Command("hostname").Output()
	stale := create(strings.TrimSpace(string(host)) + ":999999999:1")
	live := create(ownerID())
	defer exec.Command("docker", "rm", "-f", live).Run()
	c, err := ConfigFromValue(body(sandboxtest.BackendNamed("docker").Attrs))
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDocker(c)
	if err != nil {
		t.Fatal(err)
	}
	left := strings.Join(labelled(t), " ")
	if strings.Contains(left, stale[:12]) {
		t.Errorf("stale container %s was not removed", stale[:12])
	}
	if !strings.Contains(left, live[:12]) {
		t.Errorf("the container of a live owner (%s) was removed", live[:12])
	}
	// Close removes what this process owns.
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	if left := strings.Join(labelled(t), " "); strings.Contains(left, live[:12]) {
		t.Errorf("close left our container %s", live[:12])
	}
}

func TestDockerMissingImage(t *testing.T) {
	sandboxtest.NeedDocker(t)
	c := DefaultConfig()
	c.Backend, c.Image = "docker", "ccw-no-such-image:never"
	_, err := newDocker(c)
	if err == nil || !strings.Contains(err.Error(), `image "ccw-no-such-image:never" is not on this Docker engine`) {
		t.Fatalf("err = %v", err)
	}
}

func TestDockerMissing(t *testing.T) {
	cases := []struct {
		opts []string
		want string
	}{
		{[]string{"name=seccomp,profile=default", "name=userns"}, ""},
		{[]string{"name=seccomp,profile=default"}, "a user namespace"},
		{[]string{"name=seccomp,profile=unconfined", "name=userns"}, "a seccomp profile"},
		{nil, "a user namespace (dockerd is not started with --userns-remap: root in a container would be root on the host, and the containers run as uid 65534 without capabilities)|a seccomp profile"},
	}
	for _, c := range cases {
		got := strings.Join(dockerMissing(c.opts), "|")
		if c.want == "" && got != "" || !strings.HasPrefix(got, strings.SplitN(c.want, "|", 2)[0]) || strings.Count(got, "|") != strings.Count(c.want, "|") {
			t.Errorf("dockerMissing(%q) = %q, want %q", c.opts, got, c.want)
		}
	}
}
