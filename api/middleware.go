package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"
)

// recoverJSON turns a handler panic into the 500 error body and a log line
// with the stack, instead of a dropped connection.
func (s *Server) recoverJSON(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v) // the client went away; net/http handles it quietly
			}
			s.requestLog(c).WithField("panic", fmt.Sprint(v)).WithField("stack", string(debug.Stack())).Error("handler panicked")
			if !c.Writer.Written() {
				c.AbortWithStatusJSON(http.StatusInternalServerError, internalError.body())
			} else {
				c.Abort()
			}
		}
	}()
	c.Next()
}

// observe measures and logs every request by its route template.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, c.Request.Method).Observe(elapsed.Seconds())
	entry := s.requestLog(c).WithFields(logrus.Fields{"status": status, "duration_ms": elapsed.Milliseconds()})
	if status >= 500 {
		entry.Warn("request answered with a server error")
	} else {
		entry.Debug("request")
	}
}

// guard sets the body limit and the headers every answer carries.
func (s *Server) guard(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	}
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// requestLog is the logger of one request: method and route template, never
// the headers (tokens, cookies, signatures).
func (s *Server) requestLog(c *gin.Context) *logrus.Entry {
	route := c.FullPath()
	if route == "" {
		route = c.Request.URL.Path
	}
	return s.p.Log.WithFields(logrus.Fields{"method": c.Request.Method, "route": route})
}

// jsonHandler adapts a handler that returns its error; the error is
// rendered in the v1 or the seed shape.
func (s *Server) jsonHandler(h func(*gin.Context) error, seed bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		err := h(c)
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
			// The client hung up (e.g. during ?wait); nobody reads an answer.
			c.Abort()
		case seed:
			s.writeSeedError(c, err)
		default:
			s.writeError(c, err)
		}
	}
}
