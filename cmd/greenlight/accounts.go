package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// secretsConfig reads GREENLIGHT_SECRET_KEY and GREENLIGHT_SECRET_KEY_OLD: no box when the
// key is empty; an error naming the variable when a value is not a 32-byte key, or when an
// old key is given without a new one.
func secretsConfig(key, old string) (*secrets.Box, error) {
	if strings.TrimSpace(key) == "" {
		if strings.TrimSpace(old) != "" {
			return nil, errors.New("GREENLIGHT_SECRET_KEY_OLD is set but GREENLIGHT_SECRET_KEY is empty: a rotation needs the new key too")
		}
		return nil, nil
	}
	return secrets.Parse(key, old)
}

// secretBox returns the box for api and worker. Without GREENLIGHT_SECRET_KEY they still
// start while no account is connected (connecting one then answers 503 saying why), and
// refuse to once accounts exist: their credentials could not be opened.
func secretBox(ctx context.Context, c config, st *store.Store) (*secrets.Box, error) {
	if c.secrets != nil {
		return c.secrets, nil
	}
	n, err := st.CountAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking for connected accounts: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("GREENLIGHT_SECRET_KEY is required: %d connected accounts keep their credentials sealed with it", n)
	}
	return nil, nil
}

func runAccounts(ctx context.Context, args []string, c config, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rekey" {
		return usageError{errors.New("the only accounts subcommand is rekey")}
	}
	if err := c.check("accounts"); err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := service.RekeyAccounts(ctx, st, c.secrets)
	if err != nil {
		return fmt.Errorf("rekey (%d accounts resealed before the failure; run it again once fixed): %w", n, err)
	}
	fmt.Fprintf(stdout, "%d accounts resealed under key %s\n", n, c.secrets.KeyID())
	return nil
}
