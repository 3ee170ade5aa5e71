// Tests of the launcher examples: the Kubernetes manifest decoded strictly
// into the Kubernetes API types, and the Slurm job array run for real on a
// one-node cluster (.ci/slurm.sh).
package deploy_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ccw-dev/ccw/engine/cache/blobstore"
	"github.com/ccw-dev/ccw/engine/shard"
)

const manifest = "kubernetes/ccw-shards.yaml"

// decode decodes every document of a manifest strictly (an unknown or
// misspelt field is an error) into its API type.
func decode(data []byte) ([]any, error) {
	var out []any
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		case "v1 PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		default:
			return nil, fmt.Errorf("document %d: unexpected %s %s", i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i, tm.Kind, err)
		}
		out = append(out, obj)
	}
	return out, nil
}

func TestKubernetesManifest(t *testing.T) {
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	var job *batchv1.Job
	claims := map[string]bool{}
	for _, o := range objs {
		switch o := o.(type) {
		case *batchv1.Job:
			job = o
		case *corev1.PersistentVolumeClaim:
			claims[o.Name] = true
		}
	}
	if job == nil {
		t.Fatal("no Job in the manifest")
	}
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("the Job is not an Indexed Job")
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		t.Fatal("completions and parallelism must be set and equal (one pod per shard)")
	}
	n := int(*spec.Completions)
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || len(pod.Containers) != 1 {
		t.Fatalf("restart policy %q, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	// The arguments, as Kubernetes expands $(VAR) for index 1, are a
	// ccw run of shard 1/N into its own directory, with the shared cache.
	expand := func(s string) string {
		return strings.NewReplacer("$(JOB_COMPLETION_INDEX)", "1", "$(CCW_CACHE)", env["CCW_CACHE"].Value).Replace(s)
	}
	args := map[string]string{}
	for i := 2; i+1 < len(c.Args); i += 2 { // run FILE, then flag value pairs
		args[c.Args[i]] = expand(c.Args[i+1])
	}
	if c.Args[0] != "run" {
		t.Fatalf("args %q: not a ccw run", c.Args)
	}
	if sh, err := shard.Parse(args["--shard"]); err != nil || sh != (shard.Spec{Index: 1, Count: n}) {
		t.Fatalf("--shard %q = %v, %v; want 1/%d (COUNT = completions)", args["--shard"], sh, err, n)
	}
	if want := fmt.Sprintf("/results/shard-1-of-%d", n); args["--out"] != want {
		t.Errorf("--out %q, want %q", args["--out"], want)
	}
	if !blobstore.IsURL(args["--cache"]) {
		t.Errorf("--cache %q is not a bucket URL: shards on different nodes would not meet", args["--cache"])
	}
	idx := env["JOB_COMPLETION_INDEX"].ValueFrom
	if idx == nil || idx.FieldRef == nil || !strings.Contains(idx.FieldRef.FieldPath, "job-completion-index") {
		t.Error("JOB_COMPLETION_INDEX does not come from the completion index annotation")
	}
	// Secrets come from Secrets, never from the manifest.
	secretish := regexp.MustCompile(`KEY|SECRET|TOKEN|PASSWORD`)
	for name, e := range env {
		if secretish.MatchString(name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("%s is not read from a Secret", name)
		}
	}
	if env["OPENAI_API_KEY"].ValueFrom == nil {
		t.Error("the API key is not given to the pods")
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.Name] = true
	}
	for _, v := range pod.Volumes {
		if !mounted[v.Name] {
			t.Errorf("volume %s is not mounted", v.Name)
		}
		if v.PersistentVolumeClaim != nil && !claims[v.PersistentVolumeClaim.ClaimName] {
			t.Errorf("volume %s names claim %s, which the manifest does not declare", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
}

// TestKubernetesDecodeIsStrict: the decoding above would catch a misspelt
// field.
func TestKubernetesDecodeIsStrict(t *testing.T) {
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "completionMode:", "completionMod:", 1)
	if _, err := decode([]byte(bad)); err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}
