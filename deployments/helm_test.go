package deployments_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

const chartDir = "helm/wugsync"

// renderChart renders the chart as `helm template RELEASE` would, with the
// subset of Helm's functions the chart uses, and returns the objects. A
// value the templates name but values lack is an error, not an empty
// string.
func renderChart(t *testing.T, release string, edit func(values map[string]any)) []object {
	t.Helper()
	chart := readDocuments(t, filepath.Join(chartDir, "Chart.yaml"))[0]
	values := readDocuments(t, filepath.Join(chartDir, "values.yaml"))[0]
	if edit != nil {
		edit(values)
	}
	data := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": release, "Namespace": "default", "Service": "Helm"},
		"Chart":   map[string]any{"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
	}
	tpl := template.New("chart").Option("missingkey=error")
	tpl.Funcs(helmFuncs(tpl))
	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	require.NoError(t, err)
	_, err = tpl.ParseFiles(files...)
	require.NoError(t, err)

	var objects []object
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var out strings.Builder
		require.NoError(t, tpl.ExecuteTemplate(&out, base, data), "render %s", base)
		require.NotContains(t, out.String(), "<no value>", "render %s", base)
		if strings.HasSuffix(base, ".yaml") {
			objects = append(objects, decodeDocuments(t, base, []byte(out.String()))...)
		}
	}
	return objects
}

// helmFuncs are the Helm (sprig) functions the chart uses, with Helm's
// argument order (the piped value last).
func helmFuncs(tpl *template.Template) template.FuncMap {
	empty := func(v any) bool {
		if v == nil {
			return true
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String, reflect.Slice, reflect.Map:
			return rv.Len() == 0
		}
		return rv.IsZero()
	}
	indent := func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	}
	return template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b strings.Builder
			err := tpl.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"toYaml": func(v any) (string, error) {
			var b strings.Builder
			enc := yaml.NewEncoder(&b)
			enc.SetIndent(2)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), enc.Close()
		},
		"indent":  indent,
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"quote":   func(v any) string { return strconv.Quote(fmt.Sprint(v)) },
		"default": func(def, v any) any {
			if empty(v) {
				return def
			}
			return v
		},
		"required": func(msg string, v any) (any, error) {
			if empty(v) {
				return nil, errors.New(msg)
			}
			return v, nil
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"contains":   func(substr, s string) bool { return strings.Contains(s, substr) },
		"list":       func(v ...any) []any { return v },
		"sha256sum": func(s string) string {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:])
		},
	}
}

// helmSet is a rendered chart checked like the plain manifests, with the
// example Secret standing for existingSecret.
func helmSet(t *testing.T, objects []object) manifestSet {
	t.Helper()
	plain := kubernetesManifests(t)
	return manifestSet{objects: objects, secretKeys: plain.secretKeys}
}

// TestHelmChartRendersTheKubernetesManifests renders the chart with its
// default values under the release name "wugsync" and expects the same
// objects, running the same commands with the same settings, as
// deployments/k8s.
func TestHelmChartRendersTheKubernetesManifests(t *testing.T) {
	t.Parallel()
	rendered := helmSet(t, renderChart(t, "wugsync", nil)).check(t)
	plain := kubernetesManifests(t).check(t)

	// The chart migrates in a pre-install hook that runs before its
	// ConfigMap exists, so the Job takes the settings as env: the same
	// variables by another route.
	require.ElementsMatch(t, keys(plain), keys(rendered))
	for key, want := range plain {
		require.Equal(t, want, rendered[key], "%s differs between deployments/k8s and the Helm chart", key)
	}
}

func keys(s summary) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	return out
}

func TestHelmChartValuesChangeTheRender(t *testing.T) {
	t.Parallel()
	objects := renderChart(t, "prod", func(v map[string]any) {
		worker := v["worker"].(map[string]any)
		worker["autoscaling"].(map[string]any)["enabled"] = false
		worker["replicas"] = 5
		v["image"].(map[string]any)["tag"] = "1.2.3"
		v["api"].(map[string]any)["port"] = 9090
	})
	got := helmSet(t, objects).check(t)

	require.Empty(t, byKind(objects, "HorizontalPodAutoscaler"), "autoscaling off: no HPA")
	worker := got["Deployment/prod-wugsync-worker"].(map[string]any)
	require.Equal(t, 5, worker["replicas"])
	for _, d := range byKind(objects, "Deployment") {
		require.Equal(t, "registry.example.com/wugsync:1.2.3", str(dig(d, "spec", "template", "spec", "containers", 0, "image")))
	}
	api := got["Deployment/prod-wugsync-api"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"path": "/readyz", "port": 9090}, api["probes"].(map[string]any)["readiness"],
		"the API's port follows api.port, and its probes with it")
}

func TestHelmChartRefusesMissingValues(t *testing.T) {
	t.Parallel()
	tpl := template.New("chart").Option("missingkey=error")
	tpl.Funcs(helmFuncs(tpl))
	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	require.NoError(t, err)
	_, err = tpl.ParseFiles(files...)
	require.NoError(t, err)
	values := readDocuments(t, filepath.Join(chartDir, "values.yaml"))[0]
	values["existingSecret"] = ""
	data := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": "x", "Namespace": "default", "Service": "Helm"},
		"Chart":   map[string]any{"Name": "wugsync", "Version": "0", "AppVersion": "0"},
	}
	err = tpl.ExecuteTemplate(&strings.Builder{}, "api-deployment.yaml", data)
	require.ErrorContains(t, err, "existingSecret is required")
	_, err = os.Stat(filepath.Join(chartDir, "Chart.yaml"))
	require.NoError(t, err)
}

// TestHelmChartOptions renders the chart with KEDA, the ServiceMonitor and
// the Ingress turned on and checks that each refers to what the chart
// renders, and that KEDA's query reads metrics wugsync exports.
func TestHelmChartOptions(t *testing.T) {
	t.Parallel()
	catalog := metricCatalog(t)
	objects := renderChart(t, "wugsync", func(v map[string]any) {
		mapOf(mapOf(v["worker"])["keda"])["enabled"] = true
		sm := mapOf(v["serviceMonitor"])
		sm["enabled"], sm["metricsTokenKey"], sm["labels"] = true, config.EnvMetricsToken, map[string]any{"release": "prometheus"}
		ing := mapOf(v["ingress"])
		ing["enabled"], ing["className"], ing["tlsSecretName"] = true, "nginx", "wugsync-tls"
		ing["annotations"] = map[string]any{"nginx.ingress.kubernetes.io/proxy-read-timeout": "120"}
	})
	set := helmSet(t, objects)
	set.check(t)

	// KEDA instead of the CPU HPA.
	require.Empty(t, byKind(objects, "HorizontalPodAutoscaler"), "KEDA creates and owns the HPA")
	scaled := byKind(objects, "ScaledObject")
	require.Len(t, scaled, 1)
	require.Equal(t, "wugsync-worker", str(dig(scaled[0], "spec", "scaleTargetRef", "name")))
	trigger := dig(scaled[0], "spec", "triggers", 0)
	require.Equal(t, "prometheus", str(dig(trigger, "type")))
	require.Regexp(t, `^\d+$`, str(dig(trigger, "metadata", "threshold")))
	checkExpressions(t, catalog, map[string]string{"KEDA query": str(dig(trigger, "metadata", "query"))})

	// The ServiceMonitor scrapes the API and the workers, on ports their
	// Services have, with the metrics token from the documented Secret.
	monitors := byKind(objects, "ServiceMonitor")
	require.Len(t, monitors, 1)
	sel := mapOf(dig(monitors[0], "spec", "selector", "matchLabels"))
	require.Equal(t, "prometheus", str(dig(monitors[0], "metadata", "labels", "release")))
	ports := map[string][]string{}
	for _, svc := range byKind(objects, "Service") {
		if subset(sel, mapOf(dig(svc, "metadata", "labels"))) {
			for _, p := range list(dig(svc, "spec", "ports")) {
				ports[str(dig(p, "name"))] = append(ports[str(dig(p, "name"))], name(svc))
			}
		}
	}
	scraped := map[string]bool{}
	for _, ep := range list(dig(monitors[0], "spec", "endpoints")) {
		port := str(dig(ep, "port"))
		require.NotEmpty(t, ports[port], "endpoint port %q is on no selected Service", port)
		for _, svc := range ports[port] {
			scraped[svc] = true
		}
		require.Equal(t, process.MetricsPath, str(dig(ep, "path")))
		require.Equal(t, "Bearer", str(dig(ep, "authorization", "type")))
		secret := str(dig(ep, "authorization", "credentials", "name"))
		require.Contains(t, set.secretKeys[secret], str(dig(ep, "authorization", "credentials", "key")))
	}
	require.Equal(t, map[string]bool{"wugsync-api": true, "wugsync-worker-metrics": true}, scraped)

	// The Ingress sends everything to the API's Service, with TLS.
	ingresses := byKind(objects, "Ingress")
	require.Len(t, ingresses, 1)
	backend := dig(ingresses[0], "spec", "rules", 0, "http", "paths", 0, "backend", "service")
	require.Equal(t, "wugsync-api", str(dig(backend, "name")))
	require.Contains(t, ports[str(dig(backend, "port", "name"))], "wugsync-api")
	require.Equal(t, "wugsync-tls", str(dig(ingresses[0], "spec", "tls", 0, "secretName")))
	require.Equal(t, "nginx", str(dig(ingresses[0], "spec", "ingressClassName")))
	require.Equal(t, "120", str(dig(ingresses[0], "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-read-timeout")))
}
