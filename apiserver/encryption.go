package apiserver

import (
	"fmt"

	"github.com/rampart-dev/rampart/apiserver/encryption"
)

// encryptionConfig is the EncryptionConfiguration (Secrets encrypted
// through the OpenBao KMS plugin) as a Config: --encryption-provider-config
// and the plugin's socket directory. No distribution has a key of its own
// Rampart can use for it, so every snippet takes the generic form: the
// flag and a read-only mount of the file and of the socket directory.
type encryptionConfig struct{ args *encryption.Args }

// Encryption is the EncryptionConfiguration rendered from args (nil: the
// defaults, which lack the plugin's endpoint: Render and Node refuse
// them). The config reads args when it renders, so a caller may fill them
// (flags) after building the config.
func Encryption(args *encryption.Args) Config {
	if args == nil {
		args = &encryption.Args{}
	}
	return encryptionConfig{args}
}

func (encryptionConfig) Name() string     { return "encryption-provider-config" }
func (encryptionConfig) Flag() string     { return "encryption-provider-config" }
func (encryptionConfig) FileName() string { return "encryption-config.yaml" }

func (c encryptionConfig) Render() ([]byte, error) { return encryption.Render(c.args) }

func (c encryptionConfig) Node() (Node, error) {
	if err := c.args.Validate(""); err != nil {
		return Node{}, fmt.Errorf("encryption config: %w", err)
	}
	// The socket directory is the plugin's (its static pod creates the
	// socket there); the API server only dials it, which a read-only
	// mount allows. The file is read at start: roll the API server after a
	// change (--encryption-provider-config-automatic-reload is left off so
	// a bad edit cannot switch providers under a running server).
	return Node{
		Path:   c.args.WithDefaults().ConfigPath,
		Mounts: []Mount{{Name: "kms-socket", Path: c.args.SocketDir()}},
		Talos:  TalosSpec{Path: encryption.TalosConfigPath},
	}, nil
}
