{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "prx-voice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name of every object. */}}
{{- define "prx-voice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "prx-voice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "prx-voice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prx-voice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "prx-voice.labels" -}}
helm.sh/chart: {{ include "prx-voice.chart" . }}
{{ include "prx-voice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "prx-voice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "prx-voice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "prx-voice.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* config.server.port, else the server's default. */}}
{{- define "prx-voice.port" -}}
{{- dig "server" "port" 8080 (.Values.config | default dict) | int }}
{{- end }}

{{/* config.server.shutdown_timeout_ms (default 30000) in whole seconds, rounded up. */}}
{{- define "prx-voice.shutdownSeconds" -}}
{{- divf (dig "server" "shutdown_timeout_ms" 30000 (.Values.config | default dict)) 1000 | ceil | int }}
{{- end }}

{{/* "true" when the server gets PostgreSQL (DATABASE_URL from a Secret, or in config). */}}
{{- define "prx-voice.hasDatabase" -}}
{{- if or .Values.database.urlSecret.name (dig "storage" "database_url" "" (.Values.config | default dict)) }}true{{ end }}
{{- end }}

{{/* "true" when the server gets Redis (REDIS_URL from a Secret, or in config). */}}
{{- define "prx-voice.hasRedis" -}}
{{- if or .Values.redis.urlSecret.name (dig "storage" "redis_url" "" (.Values.config | default dict)) }}true{{ end }}
{{- end }}

{{/* "true" when more than one pod can run at once. */}}
{{- define "prx-voice.multiReplica" -}}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.maxReplicas) 1 }}true{{ end }}
{{- else if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{/*
Refuses values the server cannot run with, before anything reaches the cluster.
*/}}
{{- define "prx-voice.validate" -}}
{{- $shared := and (include "prx-voice.hasDatabase" .) (include "prx-voice.hasRedis" .) }}
{{- if and (include "prx-voice.multiReplica" .) (not $shared) }}
{{- fail "prx-voice: more than one replica needs PostgreSQL and Redis (embedded storage lives inside one pod): set database.urlSecret.name and redis.urlSecret.name, or run replicaCount=1 without autoscaling" }}
{{- end }}
{{- if and (eq (dig "deploy" "profile" "embedded" (.Values.config | default dict)) "production") (not $shared) }}
{{- fail "prx-voice: config.deploy.profile production needs PostgreSQL and Redis: set database.urlSecret.name and redis.urlSecret.name" }}
{{- end }}
{{- if and (include "prx-voice.multiReplica" .) .Values.persistence.enabled (not .Values.persistence.existingClaim) }}
{{- fail "prx-voice: a ReadWriteOnce volume made by the chart cannot be shared by several replicas: set persistence.enabled=false (with storage.object_store.kind s3 for recordings) or persistence.existingClaim to a ReadWriteMany claim" }}
{{- end }}
{{- $drain := add (include "prx-voice.shutdownSeconds" . | int) (int .Values.preStopSleepSeconds) }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $drain) }}
{{- fail (printf "prx-voice: terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds + config.server.shutdown_timeout_ms (%d s together), or live sessions are killed mid-drain" (int .Values.terminationGracePeriodSeconds) (int $drain)) }}
{{- end }}
{{- end }}
