using System.Reflection;
using MemoryPack;

namespace Engine.Protocol;

/// <summary>
/// Finds a null where a message's schema does not allow one. The schema is the C# nullable
/// annotations of the body classes (the same the browser codec generator and docs/protocol.md
/// follow): a serialised reference member (string, byte[], array, nested object) not declared
/// nullable (<c>string?</c>) must not be null, nor may an element of such an array unless the
/// element type is nullable; nested <see cref="MemoryPackableAttribute"/> objects are checked
/// the same way. MemoryPack itself reads a null for any of them (length -1, header 255).
/// </summary>
/// <remarks>The checks are built once per type by reflection; running them allocates nothing.</remarks>
internal static class NonNullableMembers
{
    /// <summary>The path of the first forbidden null in <paramref name="message"/> (e.g. <c>Text</c>, <c>Members[2].Name</c>), or null when there is none.</summary>
    public static string? FindNull<T>(T message)
        where T : class => Cache<T>.Check(message);

    private static Func<object, string?> Build(Type type, HashSet<Type> building)
    {
        if (!building.Add(type))
        {
            return static _ => null; // a type that contains itself: its outer check covers the first level
        }

        var context = new NullabilityInfoContext();
        var members = new List<Func<object, string?>>();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.PropertyType.IsValueType
                || property.GetCustomAttribute<MemoryPackOrderAttribute>() is null
                || property.GetCustomAttribute<MemoryPackIgnoreAttribute>() is not null)
            {
                continue;
            }

            members.Add(BuildMember(property, context.Create(property), building));
        }

        building.Remove(type);
        Func<object, string?>[] checks = [.. members];
        return checks.Length switch
        {
            0 => static _ => null,
            1 => checks[0],
            _ => instance =>
            {
                foreach (Func<object, string?> check in checks)
                {
                    if (check(instance) is { } path)
                    {
                        return path;
                    }
                }

                return null;
            },
        };
    }

    private static Func<object, string?> BuildMember(PropertyInfo property, NullabilityInfo nullability, HashSet<Type> building)
    {
        string name = property.Name;
        Func<object, object?> get = Getter(property);
        bool nullable = nullability.ReadState != NullabilityState.NotNull;
        Type type = property.PropertyType;
        Func<object, string?>? nested = IsMessageObject(type) ? Build(type, building) : null;

        if (type.IsArray && type.GetElementType() is { IsValueType: false } elementType)
        {
            bool elementNullable = nullability.ElementType?.ReadState != NullabilityState.NotNull;
            Func<object, string?>? elementCheck = IsMessageObject(elementType) ? Build(elementType, building) : null;
            return instance =>
            {
                // Arrays of a reference type are object arrays by array covariance.
                if (get(instance) is not object?[] array)
                {
                    return nullable ? null : name;
                }

                for (int i = 0; i < array.Length; i++)
                {
                    object? element = array[i];
                    if (element is null)
                    {
                        if (!elementNullable)
                        {
                            return $"{name}[{i}]";
                        }
                    }
                    else if (elementCheck?.Invoke(element) is { } inner)
                    {
                        return $"{name}[{i}].{inner}";
                    }
                }

                return null;
            };
        }

        return instance =>
        {
            object? value = get(instance);
            if (value is null)
            {
                return nullable ? null : name;
            }

            return nested?.Invoke(value) is { } inner ? $"{name}.{inner}" : null;
        };
    }

    private static bool IsMessageObject(Type type) => type.IsClass && type.GetCustomAttribute<MemoryPackableAttribute>() is not null;

    private static Func<object, object?> Getter(PropertyInfo property) =>
        (Func<object, object?>)typeof(NonNullableMembers)
            .GetMethod(nameof(TypedGetter), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(property.DeclaringType!, property.PropertyType)
            .Invoke(null, [property.GetMethod!])!;

    // A delegate bound to the getter: no boxing (reference members only) and no reflection per call.
    private static Func<object, object?> TypedGetter<TOwner, TValue>(MethodInfo getter)
        where TValue : class
    {
        Func<TOwner, TValue?> get = getter.CreateDelegate<Func<TOwner, TValue?>>();
        return instance => get((TOwner)instance);
    }

    private static class Cache<T>
        where T : class
    {
        public static readonly Func<object, string?> Check = Build(typeof(T), []);
    }
}
