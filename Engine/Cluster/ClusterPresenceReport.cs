namespace Engine.Cluster;

/// <summary>One room in <c>GET /presence</c> and the body of <c>GET /presence/{room}</c>.</summary>
/// <param name="Room">The room's name.</param>
/// <param name="Members">Its members by player id.</param>
public sealed record ClusterPresenceRoom(string Room, IReadOnlyList<ClusterMember> Members);

/// <summary>The body of <c>GET /presence</c>: the rooms with members anywhere in the cluster, bounded.</summary>
/// <param name="Instance">The instance that answered.</param>
/// <param name="TotalRooms">How many rooms have members (all of them, listed or not).</param>
/// <param name="Truncated">True when more rooms exist than were listed (the first by name are).</param>
/// <param name="Rooms">The first <see cref="ClusterPresenceOptions.MaxRoomsListed"/> rooms by name (ordinal).</param>
public sealed record ClusterPresenceReport(string Instance, int TotalRooms, bool Truncated, IReadOnlyList<ClusterPresenceRoom> Rooms)
{
    /// <summary>The report of <paramref name="presence"/> as seen by <paramref name="instance"/>, listing at most <paramref name="maxRooms"/> rooms.</summary>
    public static ClusterPresenceReport Of(IClusterPresence presence, string instance, int maxRooms)
    {
        ArgumentNullException.ThrowIfNull(presence);
        IReadOnlyList<string> rooms = presence.Rooms;
        ClusterPresenceRoom[] listed = [.. rooms.Take(maxRooms).Select(room => new ClusterPresenceRoom(room, presence.Members(room)))];
        return new ClusterPresenceReport(instance, rooms.Count, rooms.Count > listed.Length, listed);
    }
}
