{{- define "palisade.labels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/component: admission
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "palisade.selector" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/component: admission
{{- end -}}

{{- define "palisade.tlsSecret" -}}
{{- default (printf "%s-tls" .Values.service.name) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "palisade.rules" -}}
{{- if .Values.webhook.allResources }}
- operations: {{ toJson .operations }}
  apiGroups: ["*"]
  apiVersions: ["*"]
  resources: ["*", "pods/ephemeralcontainers", "pods/exec", "*/scale"]
  scope: "*"
{{- else }}
- operations: {{ toJson .operations }}
  apiGroups: [""]
  apiVersions: ["v1"]
  resources: ["pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"]
  scope: Namespaced
- operations: {{ toJson .operations }}
  apiGroups: ["apps"]
  apiVersions: ["v1"]
  resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
  scope: Namespaced
- operations: {{ toJson .operations }}
  apiGroups: ["batch"]
  apiVersions: ["v1"]
  resources: ["jobs", "cronjobs"]
  scope: Namespaced
{{- end }}
{{- end -}}

{{- define "palisade.watchLabels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/component: watch
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "palisade.watchSelector" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/component: watch
{{- end -}}
