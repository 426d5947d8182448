package devstack

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

func TestServerLogger(t *testing.T) {
	var out bytes.Buffer
	phase := &logPhase{}
	phase.starting.Store(true)
	logger, err := serverLogger(&out, "warn", phase)
	require.NoError(t, err)

	logger.Info("info is dropped")
	logger.Warn("HTTP API port has not been set. Nexus HTTP endpoints will not be available.")
	logger.Warn("a warning is kept")
	logger.Error("an error is kept", tag.Error(errors.New("boom")))
	require.NotContains(t, out.String(), "info is dropped")
	require.NotContains(t, out.String(), "Nexus", "a notice about a feature left off on purpose")
	require.Contains(t, out.String(), "a warning is kept")
	require.Contains(t, out.String(), "an error is kept")
	require.NotContains(t, out.String(), "stacktrace")

	logger.Error("service failures", tag.Error(errors.New("Frontend is not healthy yet")))
	logger.Warn("error creating sdk client", tag.Error(errors.New("failed reaching server: Frontend is not healthy yet")))
	logger.Error("service failures", tag.Error(errors.New("Not enough hosts to serve the request")))
	require.NotContains(t, out.String(), "not healthy yet", "the frontend still starting is startup noise")
	require.NotContains(t, out.String(), "Not enough hosts", "the ring still forming is startup noise")
	require.Contains(t, out.String(), "an error is kept")

	phase.starting.Store(false)
	logger.Error("service failures", tag.Error(errors.New("Not enough hosts to serve the request")))
	require.Contains(t, out.String(), "Not enough hosts", "once started, these errors are logged")

	out.Reset()
	phase.stopping.Store(true)
	logger.Error("Not enough hosts to serve the request")
	log.With(logger, tag.Error(errors.New("x"))).Error("not even through With")
	require.Empty(t, out.String(), "nothing is logged while the server stops")

	_, err = serverLogger(&out, "loud", phase)
	require.Error(t, err)
}
