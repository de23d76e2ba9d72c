package kmsplugin

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// PolicyName is the OpenBao policy's default name for the plugin's token.
const PolicyName = "rampart-kms"

// Policy renders the OpenBao policy the plugin's token needs for the
// transit key KeyName at TransitMount (defaults applied), and nothing more:
//
//   - update on <mount>/encrypt/<key> and <mount>/decrypt/<key>: wrap and
//     unwrap. Not create: with create, an encrypt to a missing key makes a
//     new key (transit's upsert), and a deleted key would silently be
//     replaced by one that cannot read what etcd holds.
//   - read on <mount>/keys/<key>: the latest version (the key ID) and the
//     exportable flag Status checks.
//
// No rotate, no config, no export, no list, no other key.
func Policy(mount, key string) ([]byte, error) {
	o := Options{TransitMount: mount, KeyName: key}.WithDefaults()
	// Validate the two names only: the policy needs no address or token.
	o.Address, o.TokenFile = "https://openbao.invalid", "/token"
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("kms plugin policy: %w", err)
	}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	rule := func(p string, caps ...string) {
		vals := make([]cty.Value, len(caps))
		for i, c := range caps {
			vals[i] = cty.StringVal(c)
		}
		body.AppendNewBlock("path", []string{p}).Body().SetAttributeValue("capabilities", cty.ListVal(vals))
	}
	rule(o.TransitMount+"/encrypt/"+o.KeyName, "update")
	rule(o.TransitMount+"/decrypt/"+o.KeyName, "update")
	rule(o.TransitMount+"/keys/"+o.KeyName, "read")
	return f.Bytes(), nil
}
