using Engine.Protocol;

namespace Engine.Rooms;

/// <summary>The member list for cluster presence (<see cref="Cluster.ClusterPresence"/>).</summary>
internal sealed partial class RoomHost
{
    /// <summary>The members now (id, name, online), taken under the room's lock; safe from any thread.</summary>
    internal RoomMember[] MembersSnapshot()
    {
        lock (_gate)
        {
            return MembersLocked();
        }
    }
}
