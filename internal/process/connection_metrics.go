package process

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// connectionMetricsTimeout bounds the queries of one scrape, below
// Prometheus's default scrape timeout of 10 s.
const connectionMetricsTimeout = 5 * time.Second

// Descriptions of the per-connection gauges, read from the database at each
// scrape, so every replica reports the same figures whoever did the work.
var (
	connLastSuccessDesc = prometheus.NewDesc("wugsync_connection_last_success_timestamp_seconds",
		"End of the connection's last completed export (not a dry run), as a Unix time; 0 before the first.",
		[]string{"connection"}, nil)
	connRowsDesc = prometheus.NewDesc("wugsync_connection_export_rows",
		"Export rows (one per NetBox device) of the connection, by export_status.",
		[]string{"connection", "status"}, nil)
	connIntervalDesc = prometheus.NewDesc("wugsync_connection_export_interval_seconds",
		"Interval of the connection's periodic exports; only connections that are active and export-enabled have it.",
		[]string{"connection"}, nil)
	connCreatedDesc = prometheus.NewDesc("wugsync_connection_created_timestamp_seconds",
		"When the connection was created, as a Unix time.",
		[]string{"connection"}, nil)
)

// connectionCollector reports the per-connection gauges with two cheap
// queries per scrape (the connections, and export rows counted with one
// GROUP BY on its index). It also tells subscribers (the worker's counters)
// about every connection it sees, so their series start at zero.
type connectionCollector struct {
	db *gorm.DB

	mu    sync.Mutex
	hooks []func(connection string)
}

func newConnectionCollector(db *gorm.DB) *connectionCollector {
	return &connectionCollector{db: db}
}

// connectionRow is what the collector reads of a connection.
type connectionRow struct {
	ID                    uint
	Name                  string
	IsActive              bool
	EnableNetBoxExport    bool `gorm:"column:enable_netbox_export"`
	ExportIntervalMinutes int
	LastExport            *time.Time
	CreatedAt             time.Time
}

// rowCount is one group of the export rows.
type rowCount struct {
	ConnectionID uint
	ExportStatus models.ExportStatus
	N            int64
}

func (c *connectionCollector) connections(ctx context.Context) ([]connectionRow, error) {
	var rows []connectionRow
	err := c.db.WithContext(ctx).Model(&models.WUGConnection{}).
		Select("id, name, is_active, enable_netbox_export, export_interval_minutes, last_export, created_at").
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read connections for metrics: %w", err)
	}
	return rows, nil
}

// Observe calls fn with the name of every connection in the database now,
// and with every connection a later scrape sees.
func (c *connectionCollector) Observe(ctx context.Context, fn func(connection string)) error {
	c.mu.Lock()
	c.hooks = append(c.hooks, fn)
	c.mu.Unlock()
	conns, err := c.connections(ctx)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		fn(conn.Name)
	}
	return nil
}

// Describe sends the gauges' descriptions.
func (c *connectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{connLastSuccessDesc, connRowsDesc, connIntervalDesc, connCreatedDesc} {
		ch <- d
	}
}

// Collect reads the database and sends every gauge of every connection; each
// export status is sent for each connection, at 0 when it has no rows. A
// database error drops the gauges from this scrape, not the scrape.
func (c *connectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), connectionMetricsTimeout)
	defer cancel()
	conns, err := c.connections(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(connRowsDesc, err)
		return
	}
	var counts []rowCount
	err = c.db.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Select("connection_id, export_status, COUNT(*) AS n").
		Group("connection_id, export_status").Find(&counts).Error
	if err != nil {
		ch <- prometheus.NewInvalidMetric(connRowsDesc, fmt.Errorf("count export rows for metrics: %w", err))
		return
	}
	byConn := map[uint]map[models.ExportStatus]int64{}
	for _, rc := range counts {
		if byConn[rc.ConnectionID] == nil {
			byConn[rc.ConnectionID] = map[models.ExportStatus]int64{}
		}
		byConn[rc.ConnectionID][rc.ExportStatus] = rc.N
	}
	c.mu.Lock()
	hooks := append([]func(string){}, c.hooks...)
	c.mu.Unlock()
	for _, conn := range conns {
		for _, fn := range hooks {
			fn(conn.Name)
		}
		last := 0.0
		if conn.LastExport != nil {
			last = float64(conn.LastExport.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(connLastSuccessDesc, prometheus.GaugeValue, last, conn.Name)
		ch <- prometheus.MustNewConstMetric(connCreatedDesc, prometheus.GaugeValue, float64(conn.CreatedAt.UnixNano())/1e9, conn.Name)
		if conn.IsActive && conn.EnableNetBoxExport && conn.ExportIntervalMinutes > 0 {
			ch <- prometheus.MustNewConstMetric(connIntervalDesc, prometheus.GaugeValue, float64(conn.ExportIntervalMinutes*60), conn.Name)
		}
		for _, status := range models.ExportStatuses() {
			ch <- prometheus.MustNewConstMetric(connRowsDesc, prometheus.GaugeValue, float64(byConn[conn.ID][status]), conn.Name, string(status))
		}
	}
}
