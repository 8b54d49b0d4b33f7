package llm4j.server;

/**
 * A request the server refuses, answered as OpenAI does: {@code {"error": {"message", "type", "param", "code"}}}
 * with an HTTP status. Thrown by validation and caught by the HTTP layer; never carries a stack trace out.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiException(int status, String type, String param, String code, String message, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, null);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                "missing or wrong API key (send Authorization: Bearer KEY)", null);
    }

    public static ApiException notFound(String param, String code, String message) {
        return new ApiException(404, "invalid_request_error", param, code, message, null);
    }

    public static ApiException tooLarge(int limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "request body exceeds " + limit + " bytes", null);
    }

    public static ApiException busy(String message) {
        return new ApiException(503, "server_error", null, "server_busy", message, 1);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** Seconds for a Retry-After header, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
