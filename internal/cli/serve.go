package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/server"
	"github.com/palisade-sec/palisade/internal/store"
)

func newServeCmd(a *App, g *globalFlags) *cobra.Command {
	var listen, certFile, keyFile, catalog, publicURL, oidcIssuer, oidcClient string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API (findings, triage, roadmap, services, metrics) to a team",
		Long: "serve runs palisade's HTTP API and web pages on the store. Accounts are created with `palisade user add`. " +
			"Off the loopback interface it requires TLS (--tls-cert, --tls-key): session cookies are Secure. " +
			"$PALISADE_SECRET_KEY (32 random bytes, base64) lets users enroll a TOTP second factor. " +
			"Single sign-on: --oidc-issuer, --oidc-client-id and --public-url, with the client secret in $PALISADE_OIDC_CLIENT_SECRET; " +
			"register <public URL>/login/sso/callback as the redirect URI at the provider.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return usageErrorf("--listen: %v", err)
			}
			tls := certFile != "" || keyFile != ""
			if tls && (certFile == "" || keyFile == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			if ip := net.ParseIP(host); !tls && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
				return usageErrorf("--listen %s is not a loopback address: serve over TLS (--tls-cert, --tls-key)", listen)
			}
			if catalog != "" && !filepath.IsAbs(catalog) {
				catalog = filepath.Join(a.Dir, catalog)
			}
			if catalog != "" {
				// Refuse a broken catalog now rather than on the first request.
				if _, err := loadCatalog(a, catalog, true); err != nil {
					return err
				}
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			var key []byte
			if v := a.Getenv("PALISADE_SECRET_KEY"); v != "" {
				if key, err = server.ParseSecretKey(v); err != nil {
					return usageErrorf("%v", err)
				}
			}
			var sso *server.SSO
			switch {
			case oidcIssuer == "" && oidcClient == "":
			case oidcIssuer == "" || oidcClient == "" || publicURL == "":
				return usageErrorf("single sign-on needs --oidc-issuer, --oidc-client-id and --public-url")
			default:
				// The provider is asked now: a wrong issuer stops serve at once.
				sso, err = server.NewSSO(cmd.Context(), server.SSOConfig{Issuer: oidcIssuer, ClientID: oidcClient,
					ClientSecret: a.Getenv("PALISADE_OIDC_CLIENT_SECRET"), RedirectURL: strings.TrimSuffix(publicURL, "/") + "/login/sso/callback"})
				if err != nil {
					return err
				}
			}
			srv := server.New(server.Options{Store: s, Now: a.Now, Catalog: catalog, SecretKey: key, SSO: sso})
			if err := srv.CheckSecrets(cmd.Context()); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			scheme := "http"
			if tls {
				scheme = "https"
			}
			fmt.Fprintf(a.Stderr, "palisade: serving on %s://%s\n", scheme, ln.Addr())
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
				WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
			ctx, stop := context.WithCancel(cmd.Context())
			defer stop() // ends the session sweeper on every return
			go expireSessions(ctx, srv)
			errc := make(chan error, 1)
			go func() {
				if tls {
					errc <- hs.ServeTLS(ln, certFile, keyFile)
				} else {
					errc <- hs.Serve(ln)
				}
			}()
			select {
			case err := <-errc:
				return fmt.Errorf("serve: %w", err)
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hs.Shutdown(shutdown); err != nil {
				return fmt.Errorf("shut down: %w", err)
			}
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on; off loopback, TLS is required")
	fl.StringVar(&certFile, "tls-cert", "", "TLS certificate (PEM)")
	fl.StringVar(&keyFile, "tls-key", "", "TLS private key (PEM)")
	fl.StringVar(&catalog, "catalog", "", "service catalog for /api/services and the roadmap's inventory steps")
	fl.StringVar(&publicURL, "public-url", "", "the URL browsers reach this server at (for single sign-on's redirect URI)")
	fl.StringVar(&oidcIssuer, "oidc-issuer", "", "OpenID Connect provider's issuer URL, for single sign-on")
	fl.StringVar(&oidcClient, "oidc-client-id", "", "this server's client id at the OpenID Connect provider")
	return cmd
}

// expireSessions deletes idle and too old sessions every ten minutes.
func expireSessions(ctx context.Context, srv *server.Server) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = srv.ExpireSessions(ctx) // a failed sweep is retried on the next tick
		}
	}
}

func newUserCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage the accounts of palisade serve"}
	var role, ssoEmail string
	add := &cobra.Command{
		Use:   "add NAME --role viewer|triager|admin [--sso-email ADDRESS]",
		Short: "Add an account; the password is read from standard input (one line), or the user signs in with single sign-on as --sso-email",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !server.ValidUserName(name) {
				return usageErrorf("user name %q: 2 to 64 lower-case letters, digits, '.', '_', '@' or '-'", name)
			}
			if !contains(store.Roles, role) {
				return usageErrorf("--role: one of %s", strings.Join(store.Roles, ", "))
			}
			nu := store.User{Name: name, Role: role, CreatedAt: a.Now()}
			if ssoEmail != "" {
				nu.SSOEmail = strings.ToLower(ssoEmail)
				if !server.ValidSSOEmail(nu.SSOEmail) {
					return usageErrorf("--sso-email %q is not an e-mail address", ssoEmail)
				}
			} else {
				line, err := bufio.NewReader(a.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return usageErrorf("read the password from standard input: %v", err)
				}
				pw := strings.TrimRight(line, "\r\n")
				if err := server.CheckPassword(name, pw); err != nil {
					return usageErrorf("%v", err)
				}
				if nu.Password, err = server.HashPassword(pw, server.DefaultArgon2); err != nil {
					return err
				}
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			u, err := s.CreateUser(cmd.Context(), nu)
			if errors.Is(err, store.ErrExists) {
				return usageErrorf("user %s or address %s exists", name, nu.SSOEmail)
			}
			if err != nil {
				return err
			}
			detail := "role " + u.Role
			if u.SSO() {
				detail += ", single sign-on as " + u.SSOEmail
			}
			if err := s.Audit(cmd.Context(), store.AuditEntry{At: a.Now(), Actor: "cli", Action: "user_created", Target: "user " + u.Name, Detail: detail}); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "added %s (%s)\n", u.Name, detail)
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "", "viewer, triager or admin (required)")
	add.Flags().StringVar(&ssoEmail, "sso-email", "", "the user signs in with single sign-on; the first sign-in asserting this verified address pins the user")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			users, err := s.Users(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tDISABLED\tCREATED\tSIGN-IN")
			for _, u := range users {
				signIn := "password"
				switch {
				case u.SSOSubject != "":
					signIn = "single sign-on as " + u.SSOEmail + " (pinned)"
				case u.SSO():
					signIn = "single sign-on as " + u.SSOEmail + " (not yet signed in)"
				case u.TOTPSecret != "":
					signIn = "password and second factor"
				}
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", u.Name, u.Role, u.Disabled, u.CreatedAt.Format(time.DateOnly), signIn)
			}
			return tw.Flush()
		},
	}
	reset := userChangeCmd(a, g, "mfa-reset NAME", "Remove a user's second factor (a lost phone, a lost server key); ends the user's sessions",
		func(u store.User) error { return nil }, store.UserChange{ResetTOTP: true}, "second factor removed", "removed the second factor of %s\n")
	unpin := userChangeCmd(a, g, "sso-reset NAME",
		"Unpin a single sign-on user's identity (a new account at the provider); the next sign-in with the verified address pins it again",
		func(u store.User) error {
			if u.SSOSubject == "" {
				return usageErrorf("user %s has no pinned sign-in identity", u.Name)
			}
			return nil
		}, store.UserChange{ResetSSO: true}, "sign-in identity unpinned", "unpinned the sign-in identity of %s\n")
	cmd.AddCommand(add, list, reset, unpin)
	return cmd
}

// userChangeCmd is a `palisade user` command that applies one change to
// a named user, after check, and audits it as the CLI.
func userChangeCmd(a *App, g *globalFlags, use, short string, check func(store.User) error, change store.UserChange, detail, done string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			u, err := s.UserByName(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return usageErrorf("no user %q", args[0])
			}
			if err != nil {
				return err
			}
			if err := check(u); err != nil {
				return err
			}
			if err := s.ChangeUser(cmd.Context(), u.ID, change); err != nil {
				return err
			}
			if err := s.Audit(cmd.Context(), store.AuditEntry{At: a.Now(), Actor: "cli", Action: "user_updated", Target: "user " + u.Name, Detail: detail}); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, done, u.Name)
			return nil
		},
	}
}
