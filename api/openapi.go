package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// operation documents one route for the OpenAPI document.
type operation struct {
	ID      string
	Summary string
	Tag     string
	Query   []*openapi3.Parameter
	// Body is a value of the request body's type; nil for no body.
	Body         any
	BodyOptional bool
	// BodyRequired lists body fields that must be sent.
	BodyRequired []string
	// FormBody documents an HTML form body instead (the login).
	FormBody  *openapi3.Schema
	Responses []response
	// Errors are the error statuses the handler itself can answer; the
	// ones its access rule, body and query parameters imply are added.
	Errors []int
}

// response documents one answer. Body nil with ContentType empty means no
// body (a redirect, 204).
type response struct {
	Status      int
	Description string
	Body        any
	ContentType string
	// Schema overrides Body for free-form answers.
	Schema *openapi3.Schema
}

func queryInteger(name, description string, lo, hi float64) *openapi3.Parameter {
	s := openapi3.NewIntegerSchema().WithMin(lo)
	if hi > 0 {
		s = s.WithMax(hi)
	}
	return openapi3.NewQueryParameter(name).WithDescription(description).WithSchema(s)
}

func queryString(name, description string) *openapi3.Parameter {
	return openapi3.NewQueryParameter(name).WithDescription(description).WithSchema(openapi3.NewStringSchema())
}

func queryEnumParam(name, description string, values []string) *openapi3.Parameter {
	s := openapi3.NewStringSchema()
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return openapi3.NewQueryParameter(name).WithDescription(description).WithSchema(s)
}

func pagingParams() []*openapi3.Parameter {
	return []*openapi3.Parameter{
		queryInteger("limit", fmt.Sprintf("page size (default %d)", DefaultLimit), 1, MaxLimit),
		queryInteger("offset", "rows to skip", 0, 0),
	}
}

// ginParam matches ":id" and "*any" segments of gin paths.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// openAPIPath turns a gin path into an OpenAPI path template.
func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// buildOpenAPI describes every route of the table.
func buildOpenAPI(routes []route) ([]byte, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "wugsync API", Version: "1",
			Description: "Keeps WhatsUp Gold in step with NetBox. Authenticate with `Authorization: Token <token>` " +
				"(or `Bearer <token>`); a missing token is 401, a wrong one 403. Errors are " +
				"`{\"error\": {\"code\", \"message\", \"fields\"}}`. Text must not hold control characters " +
				"(Unicode category Cc, NUL included; line breaks only in `ca_cert_pem`): a body with one is 422 and a " +
				"query parameter with one is 400, naming the field."},
		Servers: openapi3.Servers{{URL: "/"}},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{
			"apiToken": {Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("Authorization").
				WithDescription("`Token <token>` or `Bearer <token>` with a WUGSYNC_API_TOKEN value")},
			"session": {Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("cookie").WithName(SessionCookie).
				WithDescription("set by POST /login; requests that change something also need `" + CSRFHeader + ": " + CSRFValue + "`")},
			"metricsToken": {Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
				WithDescription("WUGSYNC_METRICS_TOKEN, only when it is set")},
			"webhookSignature": {Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("X-Hook-Signature").
				WithDescription("hex HMAC-SHA512 of the raw body keyed with WUGSYNC_WEBHOOK_SECRET")},
		}},
	}
	for _, r := range routes {
		op, err := r.openAPIOperation()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
		}
		path := openAPIPath(r.Path)
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		item.SetOperation(r.Method, op)
	}
	return json.Marshal(doc)
}

func (r route) openAPIOperation() (*openapi3.Operation, error) {
	d := r.Doc
	op := openapi3.NewOperation()
	op.OperationID, op.Summary, op.Tags = d.ID, d.Summary, []string{d.Tag}
	op.Responses = openapi3.NewResponses()
	op.Security = r.Access.security()
	for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
		p := openapi3.NewPathParameter(m[1])
		if m[0][0] == '*' {
			p.Schema = openapi3.NewStringSchema().NewRef()
		} else {
			schema := openapi3.NewIntegerSchema().WithMin(1)
			if m[1] == "device_id" {
				schema = schema.WithMax(MaxNetBoxID)
			}
			p.Schema = schema.NewRef()
		}
		op.AddParameter(p)
	}
	for _, q := range d.Query {
		op.AddParameter(q)
	}
	if err := r.addRequestBody(op); err != nil {
		return nil, err
	}
	for _, resp := range d.Responses {
		if err := addResponse(op, resp); err != nil {
			return nil, err
		}
	}
	return op, r.addErrors(op)
}

func (r route) addRequestBody(op *openapi3.Operation) error {
	d := r.Doc
	switch {
	case d.FormBody != nil:
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithFormDataSchema(d.FormBody)}
	case d.Body != nil:
		schema, err := schemaOf(d.Body, forRequest)
		if err != nil {
			return fmt.Errorf("request schema: %w", err)
		}
		schema.Value.Required = d.BodyRequired
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithRequired(!d.BodyOptional).WithJSONSchemaRef(schema)}
	}
	return nil
}

func addResponse(op *openapi3.Operation, resp response) error {
	out := openapi3.NewResponse().WithDescription(resp.Description)
	switch {
	case resp.Schema != nil:
		out.WithJSONSchema(resp.Schema)
	case resp.Body != nil:
		schema, err := schemaOf(resp.Body, forResponse)
		if err != nil {
			return fmt.Errorf("response %d schema: %w", resp.Status, err)
		}
		out.WithJSONSchemaRef(schema)
	case resp.ContentType != "":
		out.WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{resp.ContentType}))
	}
	op.AddResponse(resp.Status, out)
	return nil
}

// addErrors documents every error status the route can answer, with the
// error body (the seed's shape on seed routes).
func (r route) addErrors(op *openapi3.Operation) error {
	statuses := map[int]bool{}
	for _, s := range r.Doc.Errors {
		statuses[s] = true
	}
	for _, s := range r.Access.errorStatuses() {
		statuses[s] = true
	}
	if r.Doc.Body != nil {
		statuses[http.StatusBadRequest] = true
		statuses[http.StatusRequestEntityTooLarge] = true
		statuses[http.StatusUnprocessableEntity] = true
	}
	// Any route refuses a query string with a control character.
	statuses[http.StatusBadRequest] = true
	if r.JSON != nil {
		statuses[http.StatusInternalServerError] = true
	}
	var body any = errorBody{}
	if r.Seed {
		body = seedErrorBody{}
	}
	codes := make([]int, 0, len(statuses))
	for s := range statuses {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	for _, s := range codes {
		if op.Responses.Value(strconv.Itoa(s)) != nil {
			continue
		}
		if err := addResponse(op, response{Status: s, Description: http.StatusText(s), Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// serveOpenAPI is GET /api/v1/openapi.json.
func (s *Server) serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.openapi)
}

func (a access) security() *openapi3.SecurityRequirements {
	req := func(names ...string) *openapi3.SecurityRequirements {
		out := openapi3.SecurityRequirements{}
		for _, n := range names {
			out = append(out, openapi3.SecurityRequirement{n: []string{}})
		}
		return &out
	}
	switch a {
	case accessAPI, accessBrowser:
		return req("apiToken", "session")
	case accessMetrics:
		return req("metricsToken")
	case accessWebhook:
		return req("webhookSignature")
	}
	return &openapi3.SecurityRequirements{}
}

func (a access) errorStatuses() []int {
	switch a {
	case accessAPI, accessBrowser:
		return []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable}
	case accessMetrics:
		return []int{http.StatusUnauthorized, http.StatusForbidden}
	case accessWebhook:
		return []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable}
	}
	return nil
}
