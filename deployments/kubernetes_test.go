package deployments_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// manifestSet is a set of Kubernetes objects checked as a whole: references
// between objects (ConfigMaps, Secrets, selectors, HPA targets) must
// resolve inside it.
type manifestSet struct {
	objects    []object
	secretKeys map[string][]string // Secrets the pods may reference, by name, with their keys
}

// summary is what a set runs, reduced to what the Kubernetes manifests and
// the Helm chart must agree on.
type summary map[string]any

func byKind(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if str(o["kind"]) == kind {
			out = append(out, o)
		}
	}
	return out
}

func name(o object) string { return str(dig(o, "metadata", "name")) }

func subset(sel, labels map[string]any) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if str(labels[k]) != str(v) {
			return false
		}
	}
	return true
}

// check runs every check on the set and returns its summary.
func (s manifestSet) check(t *testing.T) summary {
	t.Helper()
	configMaps := map[string]map[string]any{}
	for _, cm := range byKind(s.objects, "ConfigMap") {
		data := mapOf(cm["data"])
		for key := range data {
			checkVariable(t, "ConfigMap "+name(cm), key)
		}
		configMaps[name(cm)] = data
	}
	for secret, keys := range s.secretKeys {
		for _, key := range keys {
			checkVariable(t, "Secret "+secret, key)
		}
	}
	accounts := map[string]bool{}
	for _, sa := range byKind(s.objects, "ServiceAccount") {
		accounts[name(sa)] = true
	}

	out := summary{}
	deployments := map[string]object{}
	for _, kind := range []string{"Deployment", "Job"} {
		for _, o := range byKind(s.objects, kind) {
			where := kind + " " + name(o)
			pod := dig(o, "spec", "template", "spec")
			if kind == "Deployment" {
				deployments[name(o)] = o
				require.True(t, subset(mapOf(dig(o, "spec", "selector", "matchLabels")), mapOf(dig(o, "spec", "template", "metadata", "labels"))),
					"%s: the selector does not match the pod labels", where)
			}
			if sa := str(dig(pod, "serviceAccountName")); sa != "" {
				require.True(t, accounts[sa], "%s: ServiceAccount %q is not defined", where, sa)
			}
			require.Equal(t, true, dig(pod, "securityContext", "runAsNonRoot"), "%s: pods run as non-root", where)
			grace := time.Duration(30) * time.Second
			if g, ok := dig(pod, "terminationGracePeriodSeconds").(int); ok {
				grace = time.Duration(g) * time.Second
			}
			var containers []any
			for i := range list(dig(pod, "containers")) {
				containers = append(containers, s.checkContainer(t, where, kind, mapOf(dig(pod, "containers", i)), configMaps, grace))
			}
			require.NotEmpty(t, containers, "%s has no containers", where)
			out[kind+"/"+name(o)] = map[string]any{
				"replicas":   dig(o, "spec", "replicas"),
				"grace":      grace,
				"containers": containers,
			}
		}
	}

	podsOf := func(sel map[string]any) object {
		for _, d := range deployments {
			if subset(sel, mapOf(dig(d, "spec", "template", "metadata", "labels"))) {
				return d
			}
		}
		return nil
	}
	for _, svc := range byKind(s.objects, "Service") {
		target := podsOf(mapOf(dig(svc, "spec", "selector")))
		require.NotNil(t, target, "Service %s selects no Deployment's pods", name(svc))
		var ports []any
		for i := range list(dig(svc, "spec", "ports")) {
			targetPort := str(dig(svc, "spec", "ports", i, "targetPort"))
			found := false
			for _, c := range list(dig(target, "spec", "template", "spec", "containers")) {
				for _, p := range list(dig(c, "ports")) {
					found = found || str(dig(p, "name")) == targetPort || str(dig(p, "containerPort")) == targetPort
				}
			}
			require.True(t, found, "Service %s: targetPort %s is not a port of Deployment %s", name(svc), targetPort, name(target))
			ports = append(ports, dig(svc, "spec", "ports", i))
		}
		out["Service/"+name(svc)] = map[string]any{"type": dig(svc, "spec", "type"), "ports": ports, "selects": name(target)}
	}
	for _, pdb := range byKind(s.objects, "PodDisruptionBudget") {
		target := podsOf(mapOf(dig(pdb, "spec", "selector", "matchLabels")))
		require.NotNil(t, target, "PodDisruptionBudget %s selects no Deployment's pods", name(pdb))
		out["PodDisruptionBudget/"+name(pdb)] = map[string]any{
			"minAvailable": dig(pdb, "spec", "minAvailable"), "maxUnavailable": dig(pdb, "spec", "maxUnavailable"), "selects": name(target),
		}
	}
	for _, hpa := range byKind(s.objects, "HorizontalPodAutoscaler") {
		target := str(dig(hpa, "spec", "scaleTargetRef", "name"))
		d, ok := deployments[target]
		require.True(t, ok, "HorizontalPodAutoscaler %s targets %q, which is not a Deployment", name(hpa), target)
		require.Nil(t, dig(d, "spec", "replicas"), "Deployment %s is scaled by an HPA and must leave replicas unset", target)
		spec := maps.Clone(mapOf(hpa["spec"]))
		delete(spec, "scaleTargetRef")
		out["HorizontalPodAutoscaler/"+name(hpa)] = map[string]any{"spec": spec, "targets": target}
	}
	for _, so := range byKind(s.objects, "ScaledObject") {
		target := str(dig(so, "spec", "scaleTargetRef", "name"))
		d, ok := deployments[target]
		require.True(t, ok, "ScaledObject %s targets %q, which is not a Deployment", name(so), target)
		require.Nil(t, dig(d, "spec", "replicas"), "Deployment %s is scaled by KEDA and must leave replicas unset", target)
		out["ScaledObject/"+name(so)] = map[string]any{"targets": target, "triggers": dig(so, "spec", "triggers")}
	}
	for cm, data := range configMaps {
		out["ConfigMap/"+cm] = data
	}
	for sa := range accounts {
		out["ServiceAccount/"+sa] = true
	}
	return out
}

// checkContainer checks one container and returns what it runs.
func (s manifestSet) checkContainer(t *testing.T, where, kind string, c map[string]any, configMaps map[string]map[string]any, grace time.Duration) map[string]any {
	t.Helper()
	where += " container " + str(c["name"])
	require.NotEmpty(t, str(c["image"]), "%s: no image", where)
	if command := stringList(c["command"]); len(command) > 0 {
		require.Equal(t, []string{"/usr/local/bin/wugsync"}, command, "%s: command must be the wugsync binary (or left to the image)", where)
	}
	args := stringList(c["args"])
	cmd, flags := checkInvocation(t, where, args)

	env := map[string]string{}
	for _, e := range list(c["env"]) {
		env[str(dig(e, "name"))] = str(dig(e, "value"))
	}
	for _, from := range list(c["envFrom"]) {
		if ref := str(dig(from, "configMapRef", "name")); ref != "" {
			data, ok := configMaps[ref]
			require.True(t, ok, "%s: ConfigMap %q is not defined", where, ref)
			for k, v := range data {
				env[k] = str(v)
			}
		}
		if ref := str(dig(from, "secretRef", "name")); ref != "" {
			keys, ok := s.secretKeys[ref]
			require.True(t, ok, "%s: Secret %q is not the documented one", where, ref)
			for _, k := range keys {
				env[k] = "<secret>"
			}
		}
	}
	for k := range env {
		checkVariable(t, where, k)
	}

	ports := map[string]int{}
	for _, p := range list(c["ports"]) {
		n, _ := dig(p, "containerPort").(int)
		ports[str(dig(p, "name"))] = n
		ports[str(n)] = n
	}
	listen := listenPort(t, where, cmd, flags, env)
	probes := map[string]any{}
	for _, kindOfProbe := range []string{"readiness", "liveness"} {
		probe := mapOf(c[kindOfProbe+"Probe"])
		if kind == "Job" {
			require.Nil(t, probe, "%s: a Job needs no %s probe", where, kindOfProbe)
			continue
		}
		require.NotNil(t, probe, "%s: no %s probe", where, kindOfProbe)
		path := str(dig(probe, "httpGet", "path"))
		checkProbePath(t, where, kindOfProbe, path)
		port, ok := ports[str(dig(probe, "httpGet", "port"))]
		require.True(t, ok, "%s: %s probe port %v is not a container port", where, kindOfProbe, dig(probe, "httpGet", "port"))
		require.Equal(t, listen, port, "%s: %s probe port is not where wugsync %s listens", where, kindOfProbe, cmd.Path)
		probes[kindOfProbe] = map[string]any{"path": path, "port": port}
	}
	for _, bound := range []string{"requests", "limits"} {
		for _, resource := range []string{"cpu", "memory"} {
			require.NotNil(t, dig(c, "resources", bound, resource), "%s: resources.%s.%s", where, bound, resource)
		}
	}
	require.Equal(t, false, dig(c, "securityContext", "allowPrivilegeEscalation"), "%s: allowPrivilegeEscalation", where)
	if cmd.Path == "worker" {
		checkWorkerGrace(t, where, flags, grace)
	}
	envNames := slices.Sorted(maps.Keys(env))
	return map[string]any{
		"args": args, "env": envNames, "ports": ports, "probes": probes,
		"resources": c["resources"], "securityContext": c["securityContext"],
	}
}

// kubernetesManifests loads deployments/k8s as kustomization.yaml lists it,
// with the example Secret as the Secret pods reference.
func kubernetesManifests(t *testing.T) manifestSet {
	t.Helper()
	kustomization := readDocuments(t, "k8s/kustomization.yaml")[0]
	listed := stringList(kustomization["resources"])
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	var unlisted []string
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && base != "secret.example.yaml" && !slices.Contains(listed, base) {
			unlisted = append(unlisted, base)
		}
	}
	require.Empty(t, unlisted, "manifests missing from kustomization.yaml")

	set := manifestSet{secretKeys: map[string][]string{}}
	for _, f := range listed {
		_, err := os.Stat(filepath.Join("k8s", f))
		require.NoError(t, err, "kustomization.yaml lists %s", f)
		set.objects = append(set.objects, readDocuments(t, filepath.Join("k8s", f))...)
	}
	for _, secret := range readDocuments(t, "k8s/secret.example.yaml") {
		set.secretKeys[name(secret)] = slices.Sorted(maps.Keys(mapOf(secret["stringData"])))
	}
	// kustomize replaces the image name "wugsync" through its images list.
	images := list(kustomization["images"])
	require.Len(t, images, 1)
	require.Equal(t, "wugsync", str(dig(images[0], "name")))
	return set
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	set := kubernetesManifests(t)
	got := set.check(t)
	var kinds []string
	for key := range got {
		kinds = append(kinds, strings.SplitN(key, "/", 2)[0])
	}
	for _, want := range []string{"Deployment", "Job", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ConfigMap", "ServiceAccount"} {
		require.Contains(t, kinds, want)
	}
	var components []string
	for _, d := range append(byKind(set.objects, "Deployment"), byKind(set.objects, "Job")...) {
		for _, c := range list(dig(d, "spec", "template", "spec", "containers")) {
			components = append(components, stringList(dig(c, "args"))[0])
		}
	}
	require.ElementsMatch(t, []string{"api", "worker", "scheduler", "migrate"}, components)
}

// TestMigrateJobNeedsNoDeleteBeforeAnUpgrade: a Job's pod template cannot
// change, so a finished migrate Job left in place would make the next apply
// with a new image fail. The plain manifests let Kubernetes remove it as soon
// as it finishes; the chart's hook replaces the previous one.
func TestMigrateJobNeedsNoDeleteBeforeAnUpgrade(t *testing.T) {
	t.Parallel()
	jobs := byKind(kubernetesManifests(t).objects, "Job")
	require.Len(t, jobs, 1)
	require.Equal(t, 0, dig(jobs[0], "spec", "ttlSecondsAfterFinished"), "removed once finished, created anew by every apply")
	require.Equal(t, "OnFailure", str(dig(jobs[0], "spec", "template", "spec", "restartPolicy")),
		"a failing migration retries in the same Job, whose pod keeps its logs")

	hooks := byKind(renderChart(t, "wugsync", nil), "Job")
	require.Len(t, hooks, 1)
	annotations := mapOf(dig(hooks[0], "metadata", "annotations"))
	require.Contains(t, strings.Split(str(annotations["helm.sh/hook"]), ","), "pre-upgrade")
	require.Contains(t, strings.Split(str(annotations["helm.sh/hook-delete-policy"]), ","), "before-hook-creation")
}
