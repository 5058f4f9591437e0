namespace Engine.Transport.Abstractions;

/// <summary>How a session closed.</summary>
/// <param name="Code">The close code (sent or received).</param>
/// <param name="Reason">A short human-readable reason.</param>
/// <param name="ByPeer">True when the peer closed first (or the connection dropped).</param>
public sealed record SessionCloseInfo(SessionCloseCode Code, string Reason, bool ByPeer);
