package encryption

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// Header heads the rendered file so nobody edits a copy by hand.
const Header = "# kube-apiserver EncryptionConfiguration (--encryption-provider-config), rendered by\n" +
	"# `rampart apiserver encryption-provider-config` from apiserver/encryption. Do not edit: change the args and render again.\n"

// KMSAPIVersion is the KMS API the provider speaks: v2, GA since
// Kubernetes 1.29 (v1 is deprecated and off by default from 1.29).
const KMSAPIVersion = "v2"

// Configuration builds the EncryptionConfiguration from args (defaults
// applied; call it on validated args): one resources entry whose providers
// are the KMS v2 plugin first (every write goes through it) and identity
// last (objects stored in clear before encryption was turned on still read;
// `kubectl get secrets -A -o json | kubectl replace -f -` rewrites them
// encrypted).
//
// Not set, on purpose: cachesize (KMS v1 only; the API server refuses it
// for v2), aescbc/aesgcm/secretbox (their keys would sit in this file on
// every control-plane node, the thing KMS avoids).
func Configuration(args *Args) *apiserverv1.EncryptionConfiguration {
	a := Args{}
	if args != nil {
		a = *args
	}
	a = a.WithDefaults()
	return &apiserverv1.EncryptionConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: apiserverv1.SchemeGroupVersion.String(), Kind: "EncryptionConfiguration"},
		Resources: []apiserverv1.ResourceConfiguration{{
			Resources: append([]string(nil), a.Resources...),
			Providers: []apiserverv1.ProviderConfiguration{
				{KMS: &apiserverv1.KMSConfiguration{
					APIVersion: KMSAPIVersion,
					Name:       a.ProviderName,
					Endpoint:   a.Endpoint,
					Timeout:    &metav1.Duration{Duration: a.Timeout},
				}},
				{Identity: &apiserverv1.IdentityConfiguration{}},
			},
		}},
	}
}

// Render validates args and returns the file: Header, then the configuration
// serialised with sigs.k8s.io/yaml (the upstream types' JSON tags, so the
// keys are exactly the API server's).
func Render(args *Args) ([]byte, error) {
	a := Args{}
	if args != nil {
		a = *args
	}
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("encryption config: %w", err)
	}
	out, err := yaml.Marshal(Configuration(&a))
	if err != nil {
		return nil, fmt.Errorf("encryption config: marshal: %w", err)
	}
	return append([]byte(Header), out...), nil
}
