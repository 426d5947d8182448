package helmcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

const (
	chartDir    = "../helm/greenlight"
	productionV = chartDir + "/values-production.example.yaml"
	// kubeVersion is the cluster version rendered for (the oldest Kubernetes release still
	// maintained upstream when this was written); Chart.yaml's kubeVersion must admit it.
	kubeVersion = "v1.32.0"
)

func kube(t *testing.T) *chartutil.KubeVersion {
	t.Helper()
	v, err := chartutil.ParseKubeVersion(kubeVersion)
	require.NoError(t, err)
	return v
}

// valueCases are the values the chart is linted and rendered with.
var valueCases = []struct {
	name  string
	files []string
	set   map[string]any
}{
	{name: "default", set: withSecretKey},
	{name: "production example", files: []string{productionV}},
	{name: "mTLS and metrics", set: map[string]any{
		"secret":  map[string]any{"secretKey": testSecretKey},
		"metrics": map[string]any{"enabled": true},
		"temporal": map[string]any{"tls": map[string]any{"enabled": true, "existingSecret": "temporal-mtls",
			"clientCert": true, "ca": true, "serverName": "temporal.internal"}},
	}},
	{name: "key rotation and existing media claim", set: map[string]any{
		"secret": map[string]any{"secretKey": testSecretKey, "secretKeyOld": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		"media":  map[string]any{"maxBytes": "10485760", "persistence": map[string]any{"existingClaim": "agency-media"}},
	}},
}

// testSecretKey is a valid GREENLIGHT_SECRET_KEY (32 bytes, base64), which the default values
// leave empty: the chart refuses to render without one.
const testSecretKey = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="

var withSecretKey = map[string]any{"secret": map[string]any{"secretKey": testSecretKey}}

func values(t *testing.T, files []string, set map[string]any) map[string]any {
	t.Helper()
	vals := map[string]any{}
	for _, f := range files {
		v, err := chartutil.ReadValuesFile(f)
		require.NoError(t, err)
		vals = chartutil.MergeTables(v, vals)
	}
	if set != nil {
		vals = chartutil.MergeTables(set, vals)
	}
	return vals
}

// TestChartRequiresSecretKey: like compose, the chart refuses to render its Secret without
// a GREENLIGHT_SECRET_KEY rather than start api and worker without one.
func TestChartRequiresSecretKey(t *testing.T) {
	_, err := template(t, values(t, nil, nil))
	require.ErrorContains(t, err, "secret.secretKey is required")
	// With an existing Secret the key comes from it (key secret-key).
	_, err = template(t, values(t, nil, map[string]any{"secret": map[string]any{"existingSecret": "mine"}}))
	require.NoError(t, err)
}

func TestChartLints(t *testing.T) {
	for _, vc := range valueCases {
		t.Run(vc.name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = "greenlight"
			lint.KubeVersion = kube(t)
			res := lint.Run([]string{chartDir}, values(t, vc.files, vc.set))
			for _, m := range res.Messages {
				t.Log(m.Error())
			}
			require.Empty(t, res.Errors, "helm lint --strict")
		})
	}
}

// object is one rendered manifest, decoded into its official API type.
type object struct {
	kind, name  string
	hook        bool
	annotations map[string]string
	obj         any
}

// kinds maps apiVersion/kind to a constructor of the official type: any other kind fails.
var kinds = map[string]func() any{
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/PersistentVolumeClaim":               func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
}

// render runs what `helm template` runs (an install in client-only dry-run mode) and
// strictly decodes every object: unknown or duplicate fields and wrong types fail.
func render(t *testing.T, vals map[string]any) []object {
	t.Helper()
	rel, err := template(t, vals)
	require.NoError(t, err, "helm template")

	docs := []struct {
		manifest string
		hook     bool
	}{}
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(rel.Manifest, -1) {
		docs = append(docs, struct {
			manifest string
			hook     bool
		}{d, false})
	}
	for _, h := range rel.Hooks {
		docs = append(docs, struct {
			manifest string
			hook     bool
		}{h.Manifest, true})
	}
	var out []object
	for _, d := range docs {
		body := regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(d.manifest, "")
		if strings.TrimSpace(body) == "" {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(body), &meta), body)
		newObj, ok := kinds[meta.APIVersion+"/"+meta.Kind]
		require.True(t, ok, "unexpected kind %s/%s", meta.APIVersion, meta.Kind)
		obj := newObj()
		require.NoError(t, yaml.UnmarshalStrict([]byte(body), obj), "%s %s does not decode strictly into the Kubernetes API type:\n%s", meta.Kind, meta.Metadata.Name, body)
		out = append(out, object{kind: meta.Kind, name: meta.Metadata.Name, hook: d.hook, annotations: meta.Metadata.Annotations, obj: obj})
	}
	return out
}

// template runs what `helm template` runs: an install in client-only dry-run mode.
func template(t *testing.T, vals map[string]any) (*release.Release, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	require.NoError(t, err)
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = "greenlight", "greenlight"
	install.KubeVersion = kube(t)
	return install.Run(chrt, vals)
}

func find[T any](objs []object, kind, name string) (T, bool) {
	var zero T
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			return o.obj.(T), true
		}
	}
	return zero, false
}

func all[T any](objs []object, kind string) []T {
	var out []T
	for _, o := range objs {
		if o.kind == kind {
			out = append(out, o.obj.(T))
		}
	}
	return out
}

// greenlightVariables are the GREENLIGHT_* names the binary reads (its documented list).
func greenlightVariables(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../cmd/greenlight/*.go")
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`\{"(GREENLIGHT_[A-Z_]+)",`).FindAllStringSubmatch(string(data), -1) {
			names = append(names, m[1])
		}
	}
	require.Contains(t, names, "GREENLIGHT_DATABASE_URL")
	return names
}

// podEnv is a container's environment names, ConfigMap variables included.
func podEnv(t *testing.T, objs []object, c corev1.Container) []string {
	t.Helper()
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	for _, ef := range c.EnvFrom {
		require.NotNil(t, ef.ConfigMapRef, "envFrom only from the chart's ConfigMap")
		cm, ok := find[*corev1.ConfigMap](objs, "ConfigMap", ef.ConfigMapRef.Name)
		require.True(t, ok, "%s reads ConfigMap %s, which the chart does not render", c.Name, ef.ConfigMapRef.Name)
		for k := range cm.Data {
			names = append(names, k)
		}
	}
	return names
}

func TestChartRendersValidObjects(t *testing.T) {
	known := greenlightVariables(t)
	for _, vc := range valueCases {
		t.Run(vc.name, func(t *testing.T) {
			vals := values(t, vc.files, vc.set)
			objs := render(t, vals)
			existing := []string{}
			if s, _ := vals["secret"].(map[string]any); s != nil && s["existingSecret"] != nil && s["existingSecret"] != "" {
				existing = append(existing, s["existingSecret"].(string))
			}
			if tv, _ := vals["temporal"].(map[string]any); tv != nil {
				if ak, _ := tv["apiKey"].(map[string]any); ak != nil && ak["existingSecret"] != nil && ak["existingSecret"] != "" {
					existing = append(existing, ak["existingSecret"].(string))
				}
				if tls, _ := tv["tls"].(map[string]any); tls != nil && tls["existingSecret"] != nil && tls["existingSecret"] != "" {
					existing = append(existing, tls["existingSecret"].(string))
				}
			}

			api, ok := find[*appsv1.Deployment](objs, "Deployment", "greenlight-api")
			require.True(t, ok, "api Deployment")
			worker, ok := find[*appsv1.Deployment](objs, "Deployment", "greenlight-worker")
			require.True(t, ok, "worker Deployment")
			job, ok := find[*batchv1.Job](objs, "Job", "greenlight-migrate")
			require.True(t, ok, "migrate Job")

			pods := map[string]corev1.PodTemplateSpec{"api": api.Spec.Template, "worker": worker.Spec.Template, "migrate": job.Spec.Template}
			args := map[string][]string{"api": {"api"}, "worker": {"worker"}, "migrate": {"migrate"}}
			required := map[string][]string{
				"api":     {"GREENLIGHT_DATABASE_URL", "GREENLIGHT_ADDR", "GREENLIGHT_TEMPORAL_ADDRESS", "GREENLIGHT_TEMPORAL_NAMESPACE", "GREENLIGHT_TASK_QUEUE"},
				"worker":  {"GREENLIGHT_DATABASE_URL", "GREENLIGHT_SMTP_URL", "GREENLIGHT_PUBLIC_URL", "GREENLIGHT_TEMPORAL_ADDRESS", "GREENLIGHT_TEMPORAL_NAMESPACE", "GREENLIGHT_TASK_QUEUE"},
				"migrate": {"GREENLIGHT_DATABASE_URL"},
			}
			for name, pod := range pods {
				t.Run(name, func(t *testing.T) {
					spec := pod.Spec
					psc := spec.SecurityContext
					require.NotNil(t, psc)
					require.True(t, psc.RunAsNonRoot != nil && *psc.RunAsNonRoot, "runs as non-root")
					require.True(t, psc.RunAsUser != nil && *psc.RunAsUser != 0)
					require.True(t, spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken, "no Kubernetes API token")
					require.Len(t, spec.Containers, 1)
					c := spec.Containers[0]
					require.Equal(t, args[name], c.Args)
					sc := c.SecurityContext
					require.NotNil(t, sc)
					require.True(t, sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation)
					require.True(t, sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem)
					require.True(t, sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL"))
					require.NotEmpty(t, c.Resources.Requests, "resource requests")
					require.NotEmpty(t, c.Resources.Limits, "resource limits")

					env := podEnv(t, objs, c)
					for _, n := range env {
						require.Contains(t, known, n, "%s sets %s, which greenlight does not read", name, n)
					}
					for _, n := range required[name] {
						require.Contains(t, env, n, "%s needs %s", name, n)
					}
					for _, e := range c.Env {
						if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
							continue
						}
						ref := e.ValueFrom.SecretKeyRef
						if slices.Contains(existing, ref.Name) {
							continue
						}
						s, ok := find[*corev1.Secret](objs, "Secret", ref.Name)
						require.True(t, ok, "%s reads %s from Secret %s, which is neither rendered nor an existing Secret in values", name, e.Name, ref.Name)
						_, has := s.StringData[ref.Key]
						require.True(t, has || (ref.Optional != nil && *ref.Optional), "Secret %s has key %s", ref.Name, ref.Key)
					}
					mounts := map[string]bool{}
					for _, v := range spec.Volumes {
						if v.Secret != nil {
							require.Contains(t, existing, v.Secret.SecretName, "volume from a Secret given in values")
						}
						mounts[v.Name] = true
					}
					for _, m := range c.VolumeMounts {
						require.True(t, mounts[m.Name], "mount %s has a volume", m.Name)
					}
				})
			}

			// api: probes on the endpoints the binary serves, on the named container port.
			c := api.Spec.Template.Spec.Containers[0]
			require.Len(t, c.Ports, 1)
			require.Equal(t, "http", c.Ports[0].Name)
			require.NotNil(t, c.ReadinessProbe.HTTPGet)
			require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
			require.Equal(t, "http", c.ReadinessProbe.HTTPGet.Port.String())
			require.NotNil(t, c.LivenessProbe.HTTPGet)
			require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
			require.Equal(t, "http", c.LivenessProbe.HTTPGet.Port.String())
			cm, _ := find[*corev1.ConfigMap](objs, "ConfigMap", "greenlight")
			require.Equal(t, fmt.Sprintf("0.0.0.0:%d", c.Ports[0].ContainerPort), cm.Data["GREENLIGHT_ADDR"], "the api listens on its container port")

			// worker: a graceful stop longer than the api's 15 s drain and the worker's own
			// stop timeout.
			require.NotNil(t, worker.Spec.Template.Spec.TerminationGracePeriodSeconds)
			require.GreaterOrEqual(t, *worker.Spec.Template.Spec.TerminationGracePeriodSeconds, int64(30))
			require.Empty(t, worker.Spec.Template.Spec.Containers[0].Ports, "the worker serves nothing")

			// migrate: a hook before install and upgrade; its Secret (if the chart makes one)
			// is a hook created before it.
			hookOf := func(kind, name string) map[string]string {
				for _, o := range objs {
					if o.kind == kind && o.name == name {
						require.True(t, o.hook, "%s %s is a hook", kind, name)
						return o.annotations
					}
				}
				return nil
			}
			ja := hookOf("Job", "greenlight-migrate")
			require.ElementsMatch(t, []string{"pre-install", "pre-upgrade"}, strings.Split(ja["helm.sh/hook"], ","))
			require.Equal(t, corev1.RestartPolicyNever, job.Spec.Template.Spec.RestartPolicy)
			ref := job.Spec.Template.Spec.Containers[0].Env[0].ValueFrom.SecretKeyRef
			if !slices.Contains(existing, ref.Name) {
				sa := hookOf("Secret", ref.Name)
				require.NotNil(t, sa, "the migrate Job's Secret exists before it runs")
				require.Equal(t, sa["helm.sh/hook"], ja["helm.sh/hook"])
				require.Less(t, sa["helm.sh/hook-weight"], ja["helm.sh/hook-weight"])
			}
			require.Empty(t, job.Spec.Template.Spec.ServiceAccountName, "no release ServiceAccount exists before install")

			// Autoscaled deployments leave replicas to their HPA; HPAs, PDBs, the Service and
			// network policies select what the chart renders.
			deployments := map[string]*appsv1.Deployment{"greenlight-api": api, "greenlight-worker": worker}
			for _, h := range all[*autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler") {
				d, ok := deployments[h.Spec.ScaleTargetRef.Name]
				require.True(t, ok, "HPA %s scales a rendered Deployment", h.Name)
				require.Nil(t, d.Spec.Replicas, "%s leaves replicas to its HPA", d.Name)
			}
			require.Len(t, all[*autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler"), map[string]int{"default": 1, "production example": 2, "mTLS and metrics": 1, "key rotation and existing media claim": 1}[vc.name])
			selects := func(sel map[string]string) []string {
				var out []string
				for n, d := range deployments {
					if labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels)) {
						out = append(out, n)
					}
				}
				return out
			}
			for _, p := range all[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget") {
				require.Len(t, selects(p.Spec.Selector.MatchLabels), 1, "PDB %s covers one deployment", p.Name)
			}
			for _, np := range all[*networkingv1.NetworkPolicy](objs, "NetworkPolicy") {
				require.Len(t, selects(np.Spec.PodSelector.MatchLabels), 1, "NetworkPolicy %s covers one deployment", np.Name)
			}
			svc, ok := find[*corev1.Service](objs, "Service", "greenlight")
			require.True(t, ok)
			require.Equal(t, []string{"greenlight-api"}, selects(svc.Spec.Selector), "the Service routes to api pods only")
			require.Equal(t, "http", svc.Spec.Ports[0].TargetPort.String())
			for _, ing := range all[*networkingv1.Ingress](objs, "Ingress") {
				for _, r := range ing.Spec.Rules {
					for _, p := range r.HTTP.Paths {
						require.Equal(t, svc.Name, p.Backend.Service.Name)
						require.Equal(t, "http", p.Backend.Service.Port.Name)
					}
				}
			}

			// Prometheus scrape annotations only when asked for.
			metrics := vc.name == "mTLS and metrics"
			for name, pod := range map[string]corev1.PodTemplateSpec{"api": api.Spec.Template, "worker": worker.Spec.Template} {
				require.Equal(t, metrics, pod.Annotations["prometheus.io/scrape"] == "true", "%s scrape annotation", name)
			}

			// Connected accounts' key: api and worker read the same key (and optional old key)
			// from a Secret, never from a literal or the ConfigMap.
			keyRefs := map[string]*corev1.SecretKeySelector{}
			for name, d := range map[string]*appsv1.Deployment{"api": api, "worker": worker} {
				c := d.Spec.Template.Spec.Containers[0]
				refs := map[string]*corev1.SecretKeySelector{}
				for _, e := range c.Env {
					if e.Name == "GREENLIGHT_SECRET_KEY" || e.Name == "GREENLIGHT_SECRET_KEY_OLD" {
						require.True(t, e.Value == "" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil, "%s reads %s from a Secret", name, e.Name)
						refs[e.Name] = e.ValueFrom.SecretKeyRef
					}
				}
				require.Contains(t, refs, "GREENLIGHT_SECRET_KEY", "%s has GREENLIGHT_SECRET_KEY", name)
				require.True(t, refs["GREENLIGHT_SECRET_KEY"].Optional == nil || !*refs["GREENLIGHT_SECRET_KEY"].Optional, "%s: GREENLIGHT_SECRET_KEY is not optional", name)
				if old := refs["GREENLIGHT_SECRET_KEY_OLD"]; old != nil {
					require.True(t, old.Optional != nil && *old.Optional, "%s: the old key is optional", name)
				}
				if keyRefs["GREENLIGHT_SECRET_KEY"] != nil {
					require.Equal(t, keyRefs, refs, "api and worker read the same keys")
				}
				keyRefs = refs
			}
			if s, made := find[*corev1.Secret](objs, "Secret", keyRefs["GREENLIGHT_SECRET_KEY"].Name); made {
				require.Equal(t, testSecretKey, s.StringData[keyRefs["GREENLIGHT_SECRET_KEY"].Key])
			}

			// Media: api and worker mount the same ReadWriteMany claim, writable, at their
			// GREENLIGHT_MEDIA_DIR (the root filesystem is read-only).
			claims := map[string]string{}
			for name, d := range map[string]*appsv1.Deployment{"api": api, "worker": worker} {
				spec := d.Spec.Template.Spec
				c := spec.Containers[0]
				var dir string
				for _, e := range c.Env {
					if e.Name == "GREENLIGHT_MEDIA_DIR" {
						dir = e.Value
					}
				}
				require.NotEmpty(t, dir, "%s sets GREENLIGHT_MEDIA_DIR", name)
				var vol string
				for _, m := range c.VolumeMounts {
					if m.MountPath == dir {
						require.False(t, m.ReadOnly, "%s writes media", name)
						require.Empty(t, m.SubPath)
						vol = m.Name
					}
				}
				require.NotEmpty(t, vol, "%s mounts a volume at GREENLIGHT_MEDIA_DIR %s", name, dir)
				for _, v := range spec.Volumes {
					if v.Name == vol {
						require.NotNil(t, v.PersistentVolumeClaim, "%s's media volume is a PersistentVolumeClaim", name)
						claims[name] = v.PersistentVolumeClaim.ClaimName
					}
				}
				require.NotNil(t, spec.SecurityContext.FSGroup, "%s: fsGroup makes the claim writable by the non-root user", name)
			}
			require.Equal(t, claims["api"], claims["worker"], "api and worker share the media claim")
			pvcs := all[*corev1.PersistentVolumeClaim](objs, "PersistentVolumeClaim")
			if vc.name == "key rotation and existing media claim" {
				require.Equal(t, "agency-media", claims["api"])
				require.Empty(t, pvcs, "an existing claim is used as is")
				cm, _ := find[*corev1.ConfigMap](objs, "ConfigMap", "greenlight")
				require.Equal(t, "10485760", cm.Data["GREENLIGHT_MEDIA_MAX_BYTES"])
				env := podEnv(t, objs, api.Spec.Template.Spec.Containers[0])
				require.Contains(t, env, "GREENLIGHT_SECRET_KEY_OLD")
				s, _ := find[*corev1.Secret](objs, "Secret", "greenlight")
				require.NotEmpty(t, s.StringData["secret-key-old"])
			} else {
				require.Len(t, pvcs, 1)
				pvc := pvcs[0]
				require.Equal(t, claims["api"], pvc.Name)
				require.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}, pvc.Spec.AccessModes, "every api replica, on any node, shares it")
				size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
				require.Positive(t, size.Cmp(resource.MustParse("1Gi")), "a storage request")
				require.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"], "uninstalling keeps the uploads")
			}

			switch vc.name {
			case "production example":
				_, made := find[*corev1.Secret](objs, "Secret", "greenlight")
				require.False(t, made, "production reads an existing Secret")
				env := podEnv(t, objs, worker.Spec.Template.Spec.Containers[0])
				require.Contains(t, env, "GREENLIGHT_TEMPORAL_API_KEY", "Temporal Cloud API key")
				require.Contains(t, env, "GREENLIGHT_TEMPORAL_TLS")
				require.NotEmpty(t, all[*networkingv1.Ingress](objs, "Ingress"))
			case "mTLS and metrics":
				env := podEnv(t, objs, api.Spec.Template.Spec.Containers[0])
				for _, n := range []string{"GREENLIGHT_TEMPORAL_TLS_CERT", "GREENLIGHT_TEMPORAL_TLS_KEY", "GREENLIGHT_TEMPORAL_TLS_CA", "GREENLIGHT_TEMPORAL_TLS_SERVER_NAME"} {
					require.Contains(t, env, n)
				}
			}
		})
	}
}
