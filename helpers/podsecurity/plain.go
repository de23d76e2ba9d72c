package podsecurity

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// plainProps turns a transform's inputs into plain values, with Unknown
// for values not known yet (a preview's computed values).
func plainProps(ctx context.Context, m pulumi.Map) map[string]any {
	out, _ := plainInput(ctx, m).(map[string]any)
	return out
}

func plainInput(ctx context.Context, in any) any {
	switch v := in.(type) {
	case nil:
		return nil
	case pulumi.String:
		return string(v)
	case pulumi.Float64:
		return float64(v)
	case pulumi.Int:
		return int(v)
	case pulumi.Bool:
		return bool(v)
	case pulumi.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainInput(ctx, e)
		}
		return out
	case pulumi.Array:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainInput(ctx, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainInput(ctx, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainInput(ctx, e)
		}
		return out
	case pulumi.Output:
		// The SDK resolved these before calling the transform: the await
		// returns at once, known or not.
		res, err := internals.UnsafeAwaitOutput(ctx, v)
		if err != nil || !res.Known {
			return Unknown
		}
		return plainInput(ctx, res.Value)
	case string, float64, int, bool:
		return v
	}
	return nil
}
