using System.Collections.Concurrent;
using System.Security.Cryptography;
using Engine.Cluster;
using Engine.Hosting;
using Engine.Rooms;
using Microsoft.Extensions.Options;

namespace Engine.Sessions;

/// <summary>A client's identity across connections: what a resume token restores.</summary>
internal sealed class SessionState(string sessionId, int playerId, string resumeToken)
{
    public string SessionId { get; } = sessionId;

    public int PlayerId { get; } = playerId;

    public string ResumeToken { get; } = resumeToken;

    /// <summary>The token's hash: the registry's key, and the seat records' (<see cref="SeatRecord.HashToken"/>).</summary>
    public string TokenHash { get; } = SeatRecord.HashToken(resumeToken);

    public Player? Player { get; set; }

    public RoomHost? Room { get; set; }

    /// <summary>On an edge instance: the room this session is in on another instance (relayed), else null.</summary>
    public string? RelayRoom { get; set; }

    /// <summary>On an edge instance: the name the session joined <see cref="RelayRoom"/> with.</summary>
    public string RelayName { get; set; } = "";

    /// <summary>The connection currently holding this session, if any.</summary>
    public ClientConnection? Connection { get; set; }

    /// <summary>When a detached session stops being resumable (timestamp ticks); 0 while attached.</summary>
    public long ExpiresAt { get; set; }
}

/// <summary>
/// Resume tokens (hashed) → sessions. Bounded at twice the connection limit: detached sessions expire
/// after the reconnect grace, and when the table is full a new session simply is not resumable.
/// </summary>
internal sealed class SessionRegistry(IOptions<EngineOptions> options, TimeProvider time)
{
    // Ids start at a random point per process so that instances of a cluster hand out different
    // ids (a room refuses the rare joiner whose id is already seated there).
    private static int s_nextPlayerId = Random.Shared.Next(0, 1 << 30);
    private readonly ConcurrentDictionary<string, SessionState> _byTokenHash = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.MaxConnections * 2;

    public int Count => _byTokenHash.Count;

    public SessionState Create()
    {
        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        int playerId = Interlocked.Increment(ref s_nextPlayerId);
        var state = new SessionState($"s{playerId}", playerId, token);
        if (_byTokenHash.Count >= _capacity)
        {
            SweepExpired();
        }

        if (_byTokenHash.Count < _capacity)
        {
            _byTokenHash[state.TokenHash] = state;
        }

        return state;
    }

    /// <summary>
    /// On the room's instance: the session an edge instance created for a relayed client (known
    /// by its token), registered here so the seat, limits and resumes work as for a local client.
    /// </summary>
    public SessionState Adopt(string sessionId, int playerId, string token)
    {
        if (Find(token) is { } known)
        {
            return known;
        }

        var state = new SessionState(sessionId, playerId, token);
        if (_byTokenHash.Count >= _capacity)
        {
            SweepExpired();
        }

        return _byTokenHash.GetOrAdd(state.TokenHash, state);
    }

    /// <summary>The session for <paramref name="token"/>, if it exists and has not expired.</summary>
    public SessionState? Find(string token)
    {
        string hash = SeatRecord.HashToken(token);
        if (!_byTokenHash.TryGetValue(hash, out SessionState? state))
        {
            return null;
        }

        lock (state)
        {
            if (state.ExpiresAt != 0 && time.GetTimestamp() >= state.ExpiresAt)
            {
                _byTokenHash.TryRemove(hash, out _);
                return null;
            }
        }

        return state;
    }

    /// <summary>Starts the session's resume window after its connection ended.</summary>
    public void Detach(SessionState state, TimeSpan grace)
    {
        lock (state)
        {
            state.Connection = null;
            state.ExpiresAt = time.GetTimestamp() + Math.Max(1, (long)(grace.TotalSeconds * time.TimestampFrequency));
        }
    }

    public void SweepExpired()
    {
        long now = time.GetTimestamp();
        foreach ((string hash, SessionState state) in _byTokenHash)
        {
            if (state.ExpiresAt != 0 && now >= state.ExpiresAt)
            {
                _byTokenHash.TryRemove(hash, out _);
            }
        }
    }
}
