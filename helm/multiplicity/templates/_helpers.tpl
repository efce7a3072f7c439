{{/* The chart's name. */}}
{{- define "multiplicity.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, the prefix of every object. */}}
{{- define "multiplicity.fullname" -}}
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

{{/* Labels of every object; pass (dict "context" $ "component" "control-plane"). */}}
{{- define "multiplicity.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" }}
{{ include "multiplicity.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels; pass (dict "context" $ "component" "control-plane"). */}}
{{- define "multiplicity.selectorLabels" -}}
app.kubernetes.io/name: {{ include "multiplicity.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image of the control plane and the agent. */}}
{{- define "multiplicity.image" -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Names of the chart's objects. */}}
{{- define "multiplicity.controlPlane.fullname" -}}{{ include "multiplicity.fullname" . }}-control-plane{{- end -}}
{{- define "multiplicity.agent.fullname" -}}{{ include "multiplicity.fullname" . }}-agent{{- end -}}
{{- define "multiplicity.postgresql.fullname" -}}{{ include "multiplicity.fullname" . }}-postgresql{{- end -}}

{{/* The secret holding the database password, and its key. */}}
{{- define "multiplicity.database.secretName" -}}
{{- if .Values.postgresql.enabled -}}
{{- default (include "multiplicity.postgresql.fullname" .) .Values.postgresql.existingSecret -}}
{{- else -}}
{{- default (printf "%s-database" (include "multiplicity.fullname" .)) .Values.externalDatabase.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "multiplicity.database.secretKey" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret -}}
{{- .Values.externalDatabase.existingSecretPasswordKey -}}
{{- else -}}
password
{{- end -}}
{{- end -}}

{{/* The JDBC URL of the database. */}}
{{- define "multiplicity.database.jdbcUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "jdbc:postgresql://%s:5432/%s" (include "multiplicity.postgresql.fullname" .) .Values.postgresql.database -}}
{{- else -}}
{{- printf "jdbc:postgresql://%s:%v/%s" .Values.externalDatabase.host .Values.externalDatabase.port .Values.externalDatabase.database -}}
{{- end -}}
{{- end -}}

{{/* The secret holding the identity provider's client secret. */}}
{{- define "multiplicity.keycloak.secretName" -}}
{{- default (printf "%s-keycloak" (include "multiplicity.fullname" .)) .Values.keycloak.existingSecret -}}
{{- end -}}
