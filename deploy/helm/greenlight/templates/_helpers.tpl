{{- define "greenlight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "greenlight.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "greenlight.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "greenlight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "greenlight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "greenlight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "greenlight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "greenlight.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "greenlight.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "greenlight.secretName" -}}
{{- default (include "greenlight.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{/* Prometheus scrape annotations, when metrics.enabled. */}}
{{- define "greenlight.metricsAnnotations" -}}
{{- if .Values.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/path: {{ .Values.metrics.path | quote }}
prometheus.io/port: {{ .Values.metrics.port | quote }}
{{- end }}
{{- end -}}

{{/* The Temporal connection variables shared by api and worker. */}}
{{- define "greenlight.temporalEnv" -}}
{{- $tls := .Values.temporal.tls -}}
{{- if $tls.enabled }}
- name: GREENLIGHT_TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if $tls.serverName }}
- name: GREENLIGHT_TEMPORAL_TLS_SERVER_NAME
  value: {{ $tls.serverName | quote }}
{{- end }}
{{- if $tls.clientCert }}
- name: GREENLIGHT_TEMPORAL_TLS_CERT
  value: /etc/greenlight/temporal-tls/tls.crt
- name: GREENLIGHT_TEMPORAL_TLS_KEY
  value: /etc/greenlight/temporal-tls/tls.key
{{- end }}
{{- if $tls.ca }}
- name: GREENLIGHT_TEMPORAL_TLS_CA
  value: /etc/greenlight/temporal-tls/ca.crt
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: GREENLIGHT_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.existingSecret }}
      key: {{ .Values.temporal.apiKey.key }}
{{- else if or .Values.secret.temporalAPIKey .Values.secret.existingSecret }}
- name: GREENLIGHT_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "greenlight.secretName" . }}
      key: temporal-api-key
      optional: true
{{- end }}
{{- end -}}

{{- define "greenlight.temporalTLSVolumeMount" -}}
{{- if and .Values.temporal.tls.existingSecret (or .Values.temporal.tls.clientCert .Values.temporal.tls.ca) }}
- name: temporal-tls
  mountPath: /etc/greenlight/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "greenlight.temporalTLSVolume" -}}
{{- if and .Values.temporal.tls.existingSecret (or .Values.temporal.tls.clientCert .Values.temporal.tls.ca) }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}

{{/* A secret variable from the chart's (or the existing) Secret. */}}
{{- define "greenlight.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "greenlight.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* The connected accounts' key (and the previous one during a rotation), for api and worker. */}}
{{- define "greenlight.secretKeyEnv" -}}
{{ include "greenlight.secretEnv" (dict "root" . "name" "GREENLIGHT_SECRET_KEY" "key" "secret-key") }}
{{ include "greenlight.secretEnv" (dict "root" . "name" "GREENLIGHT_SECRET_KEY_OLD" "key" "secret-key-old" "optional" true) }}
{{- end -}}

{{- define "greenlight.mediaClaim" -}}
{{- default (printf "%s-media" (include "greenlight.fullname" .)) .Values.media.persistence.existingClaim -}}
{{- end -}}

{{/* The media library: its directory, on the shared claim (api and worker). */}}
{{- define "greenlight.mediaEnv" -}}
{{- if .Values.media.persistence.enabled }}
- name: GREENLIGHT_MEDIA_DIR
  value: {{ required "media.dir is required" .Values.media.dir | quote }}
{{- end }}
{{- end -}}

{{- define "greenlight.mediaVolumeMount" -}}
{{- if .Values.media.persistence.enabled }}
- name: media
  mountPath: {{ .Values.media.dir }}
{{- end }}
{{- end -}}

{{- define "greenlight.mediaVolume" -}}
{{- if .Values.media.persistence.enabled }}
- name: media
  persistentVolumeClaim:
    claimName: {{ include "greenlight.mediaClaim" . }}
{{- end }}
{{- end -}}
