package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// wireCounted is CountedSuccessResult. The spec spells one field "resourcesWithErros"; the
// PowerShell client reads "resourcesWithErrors"; both are accepted.
type wireCounted struct {
	SuccessfulOperations flexInt     `json:"successfulOperations"`
	ResourcesNotAllowed  flexStrings `json:"resourcesNotAllowed"`
	ResourcesWithErros   flexStrings `json:"resourcesWithErros"`
	ResourcesWithErrors  flexStrings `json:"resourcesWithErrors"`
	Errors               flexStrings `json:"errors"`
	LimitReached         flexBool    `json:"limitReached"`
	MaximumReached       flexBool    `json:"maximumReached"`
	Success              *flexBool   `json:"success"`
}

func (w wireCounted) add(into *BatchResult) {
	into.Successful += int(w.SuccessfulOperations)
	into.ResourcesNotAllowed = append(into.ResourcesNotAllowed, w.ResourcesNotAllowed...)
	into.ResourcesWithErrors = append(into.ResourcesWithErrors, w.ResourcesWithErros...)
	into.ResourcesWithErrors = append(into.ResourcesWithErrors, w.ResourcesWithErrors...)
	into.Errors = append(into.Errors, w.Errors...)
	into.LimitReached = into.LimitReached || bool(w.LimitReached)
	into.MaximumReached = into.MaximumReached || bool(w.MaximumReached)
	if w.Success != nil && !bool(*w.Success) {
		into.Success = false
	}
}

// callCounted sends req and decodes a CountedSuccessResult, wrapped or bare.
func (c *Client) callCounted(ctx context.Context, req request, into *BatchResult) error {
	body, err := c.call(ctx, req)
	if err != nil {
		return err
	}
	data, err := unwrapData(body)
	if err != nil {
		return c.protocolError(req, body, "decode result", err)
	}
	var w wireCounted
	if err := json.Unmarshal(data, &w); err != nil {
		return c.protocolError(req, body, "decode result", err)
	}
	w.add(into)
	return nil
}

// batched sends ids in requests of at most MaxBatchSize, building each body with makeBody,
// and sums the results. When WUG reports success:false for any request, the summed result is
// returned with an ErrRejected error listing WUG's messages.
func (c *Client) batched(ctx context.Context, req request, ids []string, makeBody func([]string) any) (BatchResult, error) {
	result := BatchResult{Success: true}
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			return BatchResult{}, c.errorf(req, "device id %d is empty", i)
		}
	}
	for start := 0; start < len(ids); start += MaxBatchSize {
		req.body = makeBody(ids[start:min(start+MaxBatchSize, len(ids))])
		if err := c.callCounted(ctx, req, &result); err != nil {
			return result, err
		}
	}
	if !result.Success {
		return result, c.rejected(req, result)
	}
	return result, nil
}

// rejected describes a CountedSuccessResult with success:false.
func (c *Client) rejected(req request, r BatchResult) error {
	msg := "WUG answered success:false"
	if len(r.Errors) > 0 {
		msg += ": " + strings.Join(r.Errors, "; ")
	}
	if len(r.ResourcesWithErrors) > 0 {
		msg += " (failed: " + strings.Join(r.ResourcesWithErrors, ", ") + ")"
	}
	if len(r.ResourcesNotAllowed) > 0 {
		msg += " (not allowed: " + strings.Join(r.ResourcesNotAllowed, ", ") + ")"
	}
	return c.newError(req, ErrRejected, http.StatusOK, msg, nil)
}
