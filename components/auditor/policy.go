package auditor

import (
	"sort"
	"strconv"
	"strings"
)

// Probe labelling: every object rampart verify creates carries
// ProbeLabel=ProbeValue, and its throwaway namespace is named
// ThrowawayPrefix + a suffix.
const (
	ProbeLabel      = "rampart.dev/probe"
	ProbeValue      = "verify"
	ThrowawayPrefix = "rampart-verify-"
)

// Expression is one named CEL expression of the admission policy (a
// variable, a validation with its message, or a match condition).
type Expression struct {
	Name       string
	Expression string
	Message    string
}

// Policy is the verifier's ValidatingAdmissionPolicy in plain Go.
type Policy struct {
	// MatchCondition selects the verifier's own requests.
	MatchCondition Expression
	// Variables are composited, lazily evaluated expressions.
	Variables []Expression
	// Validations must all hold, or the request is refused.
	Validations []Expression
}

// celString is s as a CEL string literal. Go's quoting uses only escapes
// CEL shares (\", \\, \xNN, \uNNNN, \UNNNNNNNN, \n, …).
func celString(s string) string { return strconv.Quote(s) }

func celList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = celString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// labelled is the CEL test that obj (an object expression) carries the
// probe label.
func labelled(obj string) string {
	return "has(" + obj + ".metadata) && has(" + obj + ".metadata.labels) && " + celString(ProbeLabel) + " in " + obj + ".metadata.labels && " +
		obj + ".metadata.labels[" + celString(ProbeLabel) + "] == " + celString(ProbeValue)
}

// subjectKey is how the policy compares a RoleBinding subject with the
// verifier's subjects: "Kind:name", "ServiceAccount:namespace:name".
func subjectKey(s Subject) string {
	if s.Kind == SubjectServiceAccount {
		return string(s.Kind) + ":" + s.Namespace + ":" + s.Name
	}
	return string(s.Kind) + ":" + s.Name
}

// VerifierPolicy is the admission policy holding the verifier's subjects
// to probes. RBAC cannot limit a create by label or name, so the policy
// refuses, for their requests only:
//   - any subresource (exec, attach, eviction, status, …) and any verb but
//     create and delete (RoleBindings: create only);
//   - a pod, namespace or RoleBinding created or deleted without
//     rampart.dev/probe=verify (oldObject's labels for a delete);
//   - a namespace not named rampart-verify-*, or created without Pod
//     Security restricted enforced;
//   - a RoleBinding outside a labelled rampart-verify-* namespace, to
//     another role than the probe role, or to someone else;
//   - a pod (not a server-side dry run) that could leave the probe's
//     sandbox: host namespaces or ports, a volume other than emptyDir
//     (Secrets, ServiceAccount tokens, hostPath, claims), another
//     ServiceAccount than default, a privileged container, an added
//     capability other than NET_BIND_SERVICE, a Secret in env or envFrom.
//
// The dry-run create of a privileged pod stays possible: it proves that
// admission refuses it, and creates nothing.
func VerifierPolicy(names Names, subjects []Subject) Policy {
	var users, groups, keys []string
	for _, s := range subjects {
		if s.Kind == SubjectGroup {
			groups = append(groups, s.Name)
		} else {
			users = append(users, s.Username())
		}
		keys = append(keys, subjectKey(s))
	}
	sort.Strings(users)
	sort.Strings(groups)
	sort.Strings(keys)
	var who []string
	if len(users) > 0 {
		who = append(who, "has(request.userInfo.username) && request.userInfo.username in "+celList(users))
	}
	if len(groups) > 0 {
		who = append(who, "has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in "+celList(groups)+")")
	}
	if len(who) == 0 {
		who = []string{"false"} // validation refuses an identity without holders; never match anyone
	}
	for i := range who {
		if len(who) > 1 {
			who[i] = "(" + who[i] + ")"
		}
	}
	const realPod = "!variables.realPodCreate || "
	ns := celString(ThrowawayPrefix)
	return Policy{
		MatchCondition: Expression{Name: "rampart-verifier", Expression: strings.Join(who, " || ")},
		Variables: []Expression{
			{Name: "target", Expression: "request.operation == 'DELETE' ? oldObject : object"},
			{Name: "probe", Expression: labelled("variables.target")},
			{Name: "isPod", Expression: "request.resource.group == '' && request.resource.resource == 'pods'"},
			{Name: "isNamespace", Expression: "request.resource.group == '' && request.resource.resource == 'namespaces'"},
			{Name: "isRoleBinding", Expression: "request.resource.group == 'rbac.authorization.k8s.io' && request.resource.resource == 'rolebindings'"},
			{Name: "realPodCreate", Expression: "variables.isPod && request.operation == 'CREATE' && (!has(request.subResource) || request.subResource == '') && " +
				"!(has(request.dryRun) && request.dryRun)"},
			{Name: "containers", Expression: "(has(object.spec.containers) ? object.spec.containers : []) + " +
				"(has(object.spec.initContainers) ? object.spec.initContainers : [])"},
		},
		Validations: []Expression{
			{Name: "whole-objects", Expression: "!has(request.subResource) || request.subResource == ''",
				Message: "the Rampart verifier writes whole objects only, never a subresource (exec, attach, eviction, status, binding)"},
			{Name: "create-delete", Expression: "request.operation == 'CREATE' || (request.operation == 'DELETE' && !variables.isRoleBinding)",
				Message: "the Rampart verifier may only create and delete probe pods and " + ThrowawayPrefix + "* namespaces, and create the RoleBinding of its own throwaway namespace"},
			{Name: "probe-label", Expression: "variables.probe",
				Message: "the Rampart verifier may only create and delete objects labelled " + ProbeLabel + "=" + ProbeValue},
			{Name: "throwaway-name", Expression: "!variables.isNamespace || variables.target.metadata.name.startsWith(" + ns + ")",
				Message: "the Rampart verifier may only create and delete namespaces named " + ThrowawayPrefix + "*"},
			{Name: "throwaway-restricted", Expression: "!variables.isNamespace || request.operation != 'CREATE' || " +
				"(has(object.metadata.labels) && 'pod-security.kubernetes.io/enforce' in object.metadata.labels && " +
				"object.metadata.labels['pod-security.kubernetes.io/enforce'] == 'restricted')",
				Message: "a namespace the Rampart verifier creates must enforce Pod Security restricted (label pod-security.kubernetes.io/enforce=restricted)"},
			{Name: "binding-namespace", Expression: "!variables.isRoleBinding || (request.namespace.startsWith(" + ns + ") && " + labelled("namespaceObject") + ")",
				Message: "the Rampart verifier may create a RoleBinding only in its own throwaway namespace (" + ThrowawayPrefix + "*, labelled " + ProbeLabel + "=" + ProbeValue + ")"},
			{Name: "binding-role", Expression: "!variables.isRoleBinding || (variables.target.roleRef.kind == 'ClusterRole' && variables.target.roleRef.name == " + celString(names.VerifierProbeRole) + ")",
				Message: "the Rampart verifier may bind only the ClusterRole " + names.VerifierProbeRole},
			{Name: "binding-subjects", Expression: "!variables.isRoleBinding || (has(variables.target.subjects) && size(variables.target.subjects) > 0 && variables.target.subjects.all(s, " +
				"(s.kind == 'ServiceAccount' ? s.kind + ':' + s.namespace + ':' + s.name : s.kind + ':' + s.name) in " + celList(keys) + "))",
				Message: "the Rampart verifier may bind the probe role only to its own subjects: " + strings.Join(keys, ", ")},
			{Name: "pod-host", Expression: realPod + "((!has(object.spec.hostNetwork) || !object.spec.hostNetwork) && " +
				"(!has(object.spec.hostPID) || !object.spec.hostPID) && (!has(object.spec.hostIPC) || !object.spec.hostIPC))",
				Message: "a probe pod shares no host namespace (hostNetwork, hostPID, hostIPC)"},
			{Name: "pod-volumes", Expression: realPod + "!has(object.spec.volumes) || object.spec.volumes.all(v, has(v.emptyDir))",
				Message: "a probe pod mounts emptyDir volumes only: no Secret, ServiceAccount token (set automountServiceAccountToken: false), hostPath or claim"},
			{Name: "pod-service-account", Expression: realPod + "!has(object.spec.serviceAccountName) || object.spec.serviceAccountName == 'default'",
				Message: "a probe pod runs as its namespace's default ServiceAccount"},
			{Name: "pod-containers", Expression: realPod + "variables.containers.all(c, " +
				"(!has(c.securityContext) || ((!has(c.securityContext.privileged) || !c.securityContext.privileged) && " +
				"(!has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(x, x == 'NET_BIND_SERVICE')))) && " +
				"(!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)) && " +
				"(!has(c.envFrom) || c.envFrom.all(e, !has(e.secretRef))) && " +
				"(!has(c.env) || c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef))))",
				Message: "a probe container is not privileged, adds no capability but NET_BIND_SERVICE, opens no host port and reads no Secret"},
		},
	}
}
