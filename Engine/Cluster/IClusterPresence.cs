namespace Engine.Cluster;

/// <summary>A room member as the cluster-wide presence view sees it.</summary>
/// <param name="PlayerId">The player's id (unique per instance that handed it out).</param>
/// <param name="Name">The display name.</param>
/// <param name="Online">False while the connection is lost and the seat held for a resume.</param>
/// <param name="Instance">The instance that reported it: the room's owner.</param>
public sealed record ClusterMember(int PlayerId, string Name, bool Online, string Instance);

/// <summary>
/// Every room's members across the cluster, with their online state. Each instance reports the rooms
/// it owns every <see cref="ClusterPresenceOptions.Interval"/>, every instance merges what it hears,
/// and what a vanished instance reported disappears after <see cref="ClusterPresenceOptions.Ttl"/>.
/// On a single instance it shows the local rooms. The view lags the rooms by up to an interval.
/// Safe from any thread; reads take no lock once the view is built.
/// </summary>
public interface IClusterPresence
{
    /// <summary>The rooms that have members anywhere in the cluster, by name (ordinal).</summary>
    IReadOnlyList<string> Rooms { get; }

    /// <summary>The members of <paramref name="room"/> by player id; empty when it has none (or is unknown).</summary>
    IReadOnlyList<ClusterMember> Members(string room);
}
