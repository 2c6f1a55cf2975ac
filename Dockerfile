# The Keybrake image: the runnable jar the cli module builds, on a JRE, as a non-root user.
#   ./mvnw -B -ntp -DskipTests -pl cli -am package
#   docker build -t ghcr.io/keybrake/keybrake:0.1.0 .
# One image for every role: `control-plane`, `ext-proc`, `up` (k8s/base picks the role by args).
FROM eclipse-temurin:17-jre-noble

RUN useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin keybrake
COPY cli/target/keybrake.jar /opt/keybrake/keybrake.jar

USER 65532:65532
ENV KEYBRAKE_DATA_DIR=/tmp/keybrake \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8080 8443 18000 50051
ENTRYPOINT ["java", "-jar", "/opt/keybrake/keybrake.jar"]
CMD ["control-plane"]
