namespace Engine.Protocol;

/// <summary>Protocol constants shared with clients.</summary>
public static class ProtocolInfo
{
    /// <summary>The version a client states in hello.</summary>
    public const int Version = 1;

    /// <summary>The unreliable channel snapshots use.</summary>
    public const int SnapshotChannel = 0;
}
