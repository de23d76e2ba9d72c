package e2e_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"

	"github.com/rampart-dev/rampart/internal/testkit/s3raw"
)

// stateS3 is the few S3 calls the sovereign-state test makes to read the
// Pulumi state bucket behind the CLI's back; s3raw signs and sends them.
type stateS3 struct{ *s3raw.Client }

// call sends one request without a body and returns the answer's bytes; a
// status ≥ 300 comes back as *s3raw.Error.
func (c *stateS3) call(method, bucket, key string, q url.Values) ([]byte, error) {
	r, err := c.Do(method, bucket, key, q, nil, nil)
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// createBucket makes a bucket without Object Lock (no
// x-amz-bucket-object-lock-enabled header).
func (c *stateS3) createBucket(bucket string) error {
	_, err := c.call(http.MethodPut, bucket, "", nil)
	return err
}

// objectLock returns the bucket's GetObjectLockConfiguration answer, or the
// S3 error (ObjectLockConfigurationNotFoundError when lock is absent).
func (c *stateS3) objectLock(bucket string) ([]byte, error) {
	return c.call(http.MethodGet, bucket, "", url.Values{"object-lock": {""}})
}

// list returns every key under prefix (ListObjectsV2, following continuation).
func (c *stateS3) list(bucket, prefix string) ([]string, error) {
	var keys []string
	token := ""
	for {
		q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		body, err := c.call(http.MethodGet, bucket, "", q)
		if err != nil {
			return nil, err
		}
		var page struct {
			Contents []struct {
				Key string `xml:"Key"`
			} `xml:"Contents"`
			IsTruncated           bool   `xml:"IsTruncated"`
			NextContinuationToken string `xml:"NextContinuationToken"`
		}
		if err := xml.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("ListObjectsV2 %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, o.Key)
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return keys, nil
		}
		token = page.NextContinuationToken
	}
}

// get returns an object's bytes.
func (c *stateS3) get(bucket, key string) ([]byte, error) {
	return c.call(http.MethodGet, bucket, key, nil)
}

// emptyAndDelete deletes every object, then the bucket: what a state bucket
// must allow, and what an Object-Locked one would refuse.
func (c *stateS3) emptyAndDelete(bucket string) error {
	keys, err := c.list(bucket, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := c.call(http.MethodDelete, bucket, k, nil); err != nil {
			return fmt.Errorf("delete %s: %w", k, err)
		}
	}
	_, err = c.call(http.MethodDelete, bucket, "", nil)
	return err
}
