using System.Reflection;
using Microsoft.Extensions.Options;

namespace RagKit.DependencyInjection;

/// <summary>
/// Turns an options type's own validate method, which throws an <see cref="ArgumentException"/> for the first bad
/// setting, into a report of every bad setting, so that the rules stay in the options type.
/// </summary>
internal static class SettingsValidation
{
    /// <summary>
    /// Validates a copy of <paramref name="options"/> again and again; after each failure the setting it names is put
    /// back to its default on the copy, so the next run reaches the next bad setting.
    /// </summary>
    /// <returns>One message per invalid setting, prefixed with <paramref name="section"/>; empty when all are valid.</returns>
    public static List<string> Collect<T>(T options, Action<T> validate, Func<T> createDefault, string section)
        where T : class
    {
        T copy = createDefault();
        T defaults = createDefault();
        PropertyInfo[] properties = [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)];
        foreach (PropertyInfo p in properties)
        {
            p.SetValue(copy, p.GetValue(options));
        }

        var errors = new List<string>();
        var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            try
            {
                validate(copy);
                return errors;
            }
            catch (ArgumentException ex)
            {
                PropertyInfo? bad = properties.FirstOrDefault(p => p.Name == ex.ParamName);
                int attempt = bad is null ? 0 : attempts.GetValueOrDefault(bad.Name) + 1;
                if (attempt == 1)
                {
                    errors.Add($"{section}:{ex.ParamName}: {ex.Message}");
                    bad!.SetValue(copy, bad.GetValue(defaults));
                }
                else if (attempt == 2 && bad!.PropertyType == typeof(string))
                {
                    // A required text setting has no valid default: a stand-in lets the later settings be checked.
                    bad.SetValue(copy, "stand-in");
                }
                else
                {
                    if (bad is null)
                    {
                        errors.Add($"{section}:{ex.ParamName}: {ex.Message}");
                    }

                    return errors; // nothing left to put back: report what was found
                }

                attempts[bad.Name] = attempt;
            }
        }
    }

    /// <summary>The options result for <see cref="Collect"/>'s messages.</summary>
    public static ValidateOptionsResult Result(List<string> errors) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
