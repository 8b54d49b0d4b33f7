package llm4j.model.chat;

import java.beans.FeatureDescriptor;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;

/**
 * The Python {@code str} and {@code dict} methods chat templates call ({@code content.strip()},
 * {@code role.startswith('sys')}, {@code message.get('tool_calls')}, {@code d.items()}), which Jinjava lacks.
 * It is also the sandbox's method gate: a call on a string or map that is not one of these, or on any object
 * that is not Jinjava's own (loops, namespaces, its lists and dicts), is refused before reflection is reached.
 */
final class PythonMethods extends ELResolver {

    private static final Object NONE = new Object();

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result = switch (base) {
            case String s -> stringMethod(s, name, args);
            case Map<?, ?> m -> mapMethod(m, name, args);
            default -> NONE;
        };
        if (result != NONE) {
            context.setPropertyResolved(true);
            return result;
        }
        if (base instanceof String || base instanceof Map<?, ?> && !isJinjavaObject(base)) {
            throw new MethodNotFoundException("'" + typeName(base) + "' object has no method '" + name + "'");
        }
        if (!isJinjavaObject(base)) {
            throw new MethodNotFoundException("calling '" + name + "' on " + typeName(base) + " is not allowed in a chat template");
        }
        return null; // Jinjava's own objects (loop, namespace, its lists and dicts): the default resolvers handle them
    }

    private static boolean isJinjavaObject(Object base) {
        // the sandbox's size-checking wrapper stands in for Jinjava's own filters
        return base.getClass().getName().startsWith("com.hubspot.jinjava.") || base instanceof JinjaSandbox.SizedFilter;
    }

    private static String typeName(Object base) {
        return switch (base) {
            case String s -> "str";
            case Map<?, ?> m -> "dict";
            case List<?> l -> "list";
            default -> base.getClass().getSimpleName();
        };
    }

    private static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> a.length == 0 ? s.strip() : stripChars(s, str(a[0]), true, true);
            case "lstrip" -> a.length == 0 ? s.stripLeading() : stripChars(s, str(a[0]), true, false);
            case "rstrip" -> a.length == 0 ? s.stripTrailing() : stripChars(s, str(a[0]), false, true);
            case "startswith" -> anyMatch(a[0], p -> s.startsWith(p));
            case "endswith" -> anyMatch(a[0], p -> s.endsWith(p));
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> split(s, a.length > 0 ? a[0] : null, a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "splitlines" -> List.of(s.split("\\r?\\n", -1));
            case "replace" -> s.replace(str(a[0]), str(a[1]));
            case "find" -> (long) s.indexOf(str(a[0]));
            case "count" -> count(s, str(a[0]));
            case "join" -> join(s, a[0]);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.isBlank();
            default -> NONE;
        };
    }

    private static Object mapMethod(Map<?, ?> m, String name, Object[] a) {
        return switch (name) {
            case "get" -> a.length > 1 ? (m.containsKey(a[0]) ? m.get(a[0]) : a[1]) : m.get(a[0]);
            case "items" -> {
                List<Map.Entry<Object, Object>> entries = new ArrayList<>();
                m.forEach((k, v) -> entries.add(new AbstractMap.SimpleImmutableEntry<>(k, v)));
                yield entries;
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            default -> NONE;
        };
    }

    private static String str(Object o) {
        return o == null ? "None" : o.toString();
    }

    private static boolean anyMatch(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            for (Object p : c) {
                if (test.test(str(p))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(str(prefixes));
    }

    private static String stripChars(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && chars.indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (right && to > from && chars.indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return s.substring(from, to);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }

    /** Python's split: no separator splits on runs of whitespace and drops empty parts. */
    private static List<String> split(String s, Object sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            for (String p : s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1)) {
                if (!p.isEmpty()) {
                    parts.add(p);
                }
            }
            return parts;
        }
        String d = str(sep);
        if (d.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int at = 0;
        while (maxSplit < 0 || parts.size() < maxSplit) {
            int next = s.indexOf(d, at);
            if (next < 0) {
                break;
            }
            parts.add(s.substring(at, next));
            at = next + d.length();
        }
        parts.add(s.substring(at));
        return parts;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        StringBuilder b = new StringBuilder();
        Iterator<?> it = items instanceof Iterable<?> i ? i.iterator() : List.of(items).iterator();
        while (it.hasNext()) {
            b.append(str(it.next()));
            if (it.hasNext()) {
                b.append(separator);
            }
        }
        return b.toString();
    }

    // Property access is left to the other resolvers.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not resolved here
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return Object.class;
    }
}
