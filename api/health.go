package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds each readiness check, so a hung dependency makes the
// probe fail rather than hang.
const readyTimeout = 2 * time.Second

// healthz is GET /healthz: the process is up and serving.
func (s *Server) healthz(c *gin.Context) error {
	c.JSON(http.StatusOK, statusBody{Status: "ok"})
	return nil
}

// readyz is GET /readyz: Redis and the database answer.
func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if err := s.p.Redis.Ping(ctx).Err(); err != nil {
		return unavailable("redis does not answer: %v", err)
	}
	if err := s.pingDatabase(ctx); err != nil {
		return unavailable("database does not answer: %v", err)
	}
	c.JSON(http.StatusOK, statusBody{Status: "ready"})
	return nil
}

func (s *Server) pingDatabase(ctx context.Context) error {
	sqlDB, err := s.p.DB.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	return sqlDB.PingContext(ctx)
}
