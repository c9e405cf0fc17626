using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using RagKit.Caching;

namespace RagKit.DependencyInjection;

/// <summary>
/// Eviction policies and semantic match rules chosen by name in configuration (<c>RagKit:EvictionPolicy=WTinyLfu</c>,
/// <c>RagKit:SemanticMatchRule=Neighbourhood</c>). The names are the members of <see cref="EvictionPolicyFactory"/> and
/// <see cref="SemanticMatchRules"/> (or their report names, such as <c>w-tinylfu</c>), found by reflection so that a
/// policy or rule added there is selectable without a change here. Case is ignored.
/// </summary>
internal static class NamedPolicies
{
    public const string EvictionPolicyKey = "EvictionPolicy";
    public const string SemanticMatchRuleKey = "SemanticMatchRule";

    public static IEnumerable<string> EvictionPolicyNames => EvictionPolicies().Select(p => p.Name);

    public static IEnumerable<string> SemanticMatchRuleNames =>
        RuleProperties().Select(p => p.Name).Concat(RuleMethods().Select(m => m.Name)).Distinct(StringComparer.Ordinal);

    public static bool TryGetEvictionPolicy(string name, [NotNullWhen(true)] out EvictionPolicyFactory? policy)
    {
        foreach (PropertyInfo p in EvictionPolicies())
        {
            var candidate = (EvictionPolicyFactory)p.GetValue(null)!;
            if (Matches(name, p.Name) || Matches(name, candidate.Name))
            {
                policy = candidate;
                return true;
            }
        }

        policy = null;
        return false;
    }

    /// <summary>A new rule for each call where the rule is made by a method (a verified rule holds per-pipeline state).</summary>
    public static bool TryCreateSemanticMatchRule(string name, [NotNullWhen(true)] out ISemanticMatchRule? rule)
    {
        foreach (PropertyInfo p in RuleProperties())
        {
            var candidate = (ISemanticMatchRule)p.GetValue(null)!;
            if (Matches(name, p.Name) || Matches(name, candidate.Name))
            {
                rule = candidate;
                return true;
            }
        }

        foreach (MethodInfo m in RuleMethods())
        {
            if (Matches(name, m.Name))
            {
                rule = (ISemanticMatchRule)m.Invoke(null, [.. m.GetParameters().Select(p => p.DefaultValue)])!;
                return true;
            }
        }

        rule = null;
        return false;
    }

    /// <summary>Sets the policy and rule named in <paramref name="section"/>; names that are not known are left for <see cref="Errors"/>.</summary>
    public static void Apply(IConfiguration section, Action<EvictionPolicyFactory> setPolicy, Action<ISemanticMatchRule>? setRule)
    {
        if (section[EvictionPolicyKey] is { Length: > 0 } policyName && TryGetEvictionPolicy(policyName, out EvictionPolicyFactory? policy))
        {
            setPolicy(policy);
        }

        if (setRule is not null && section[SemanticMatchRuleKey] is { Length: > 0 } ruleName && TryCreateSemanticMatchRule(ruleName, out ISemanticMatchRule? rule))
        {
            setRule(rule);
        }
    }

    /// <summary>One message per name in <paramref name="section"/> that names no policy or rule, listing the valid names.</summary>
    public static List<string> Errors(IConfiguration section, string sectionName, bool withRule)
    {
        var errors = new List<string>();
        if (section[EvictionPolicyKey] is { Length: > 0 } policyName && !TryGetEvictionPolicy(policyName, out _))
        {
            errors.Add($"{sectionName}:{EvictionPolicyKey}: '{policyName}' is not an eviction policy; use one of {string.Join(", ", EvictionPolicyNames)}.");
        }

        if (withRule && section[SemanticMatchRuleKey] is { Length: > 0 } ruleName && !TryCreateSemanticMatchRule(ruleName, out _))
        {
            errors.Add($"{sectionName}:{SemanticMatchRuleKey}: '{ruleName}' is not a semantic match rule; use one of {string.Join(", ", SemanticMatchRuleNames)}.");
        }

        return errors;
    }

    private static bool Matches(string configured, string name) => string.Equals(configured.Trim(), name, StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<PropertyInfo> EvictionPolicies() =>
        typeof(EvictionPolicyFactory).GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == typeof(EvictionPolicyFactory));

    private static IEnumerable<PropertyInfo> RuleProperties() =>
        typeof(SemanticMatchRules).GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == typeof(ISemanticMatchRule));

    private static IEnumerable<MethodInfo> RuleMethods() =>
        typeof(SemanticMatchRules).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(ISemanticMatchRule) && m.GetParameters().All(p => p.HasDefaultValue));
}
