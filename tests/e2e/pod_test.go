package e2e_test

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
)

func newPod(ctx *pulumi.Context) (*corev1.Pod, error) {
	return corev1.NewPod(ctx, "compliant", &corev1.PodArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("compliant")},
		Spec:     hardening.RestrictedPodSpec("app", "registry.example/app@sha256:"+zeros, nil, nil),
	})
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
