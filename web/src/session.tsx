// Who is signed in: loaded once from /api/auth/me, cleared on sign-out or when the hub says the session ended.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError, get, post, setCsrfToken, whenSignedOut } from './api.ts';
import type { Me } from './types.ts';

interface Session {
  me: Me | null;
  loading: boolean;
  signIn(input: { username: string; password: string; tenant?: string }): Promise<void>;
  signOut(): Promise<void>;
  can(permission: string): boolean;
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  const accept = useCallback((m: Me | null) => {
    setCsrfToken(m?.csrfToken ?? null);
    setMe(m);
  }, []);

  useEffect(() => {
    whenSignedOut(() => accept(null));
    get<Me>('/api/auth/me')
      .then(accept)
      .catch((e: unknown) => {
        if (!(e instanceof ApiError && e.status === 401)) console.error(e);
        accept(null);
      })
      .finally(() => setLoading(false));
  }, [accept]);

  const value: Session = {
    me,
    loading,
    async signIn(input) {
      accept(await post<Me>('/api/auth/sign-in', input));
    },
    async signOut() {
      await post('/api/auth/sign-out').catch(() => undefined);
      accept(null);
    },
    can: (p) => Boolean(me?.permissions.includes(p)),
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** The signed-in principal (pages are only rendered when there is one). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('not signed in');
  return me;
}
